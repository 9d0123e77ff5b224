import { fromB } from './b.mjs';

export let value = 1;
export function bump() {
  value += fromB();
}
