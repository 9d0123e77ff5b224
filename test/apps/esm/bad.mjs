import fs from 'node:fs';

export const broken = {
  a: 1,,
};
