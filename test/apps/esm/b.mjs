import { value } from './a.mjs';

// reads a's live binding when called, not when b is evaluated (a is still in progress then)
export function fromB() {
  return value + 10;
}
export const greeting = 'hello';
export default function () {
  return 'default export sees value = ' + value;
}
