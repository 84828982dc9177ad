/**
 * promtool and prometheus come from Debian's `prometheus` package, which .ci/run installs. Tests
 * that need them skip with a message on a developer machine without the package, and fail in CI
 * (CI=true), where a missing tool is a broken install step rather than a choice.
 */
import { execFileSync } from 'node:child_process';

function which(tool: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export interface Tool {
  readonly path: string | undefined;
  /** Why tests using it are skipped, or undefined when they run. */
  readonly skipReason: string | undefined;
}

export function findTool(tool: 'promtool' | 'prometheus'): Tool {
  const path = which(tool);
  if (path) return { path, skipReason: undefined };
  const message = `${tool} is not installed (Debian package "prometheus": apt-get install -y prometheus, as .ci/run does)`;
  if (process.env.CI) throw new Error(`${message}: CI must run these tests`);
  process.stderr.write(`SKIPPED: ${message}\n`);
  return { path: undefined, skipReason: message };
}
