// Colour decisions in one place, because chalk ignores NO_COLOR (chalk#547): --no-color wins, then
// FORCE_COLOR (chalk's and Node's meaning: ""/"true" → 1, "false"/"0" → 0, "1".."3" → level), then
// NO_COLOR present and non-empty, then whether the stream is an interactive terminal.
import { Chalk, supportsColor, type ChalkInstance } from "chalk";

export type ColourLevel = 0 | 1 | 2 | 3;

export interface ColourInputs {
  noColorFlag?: boolean; // --no-color
  env: NodeJS.ProcessEnv;
  isTTY: boolean;
}

export function colourLevel({ noColorFlag, env, isTTY }: ColourInputs): ColourLevel {
  if (noColorFlag) return 0;
  const force = env.FORCE_COLOR;
  if (force !== undefined) {
    if (force === "" || force === "true") return 1;
    if (force === "false") return 0;
    const level = Number.parseInt(force, 10);
    return Number.isNaN(level) ? 1 : (Math.max(0, Math.min(level, 3)) as ColourLevel);
  }
  if (env.NO_COLOR) return 0;
  if (!isTTY || env.TERM === "dumb") return 0;
  return supportsColor ? (Math.max(1, supportsColor.level) as ColourLevel) : 1;
}

export function makeChalk(inputs: ColourInputs): ChalkInstance {
  return new Chalk({ level: colourLevel(inputs) });
}
