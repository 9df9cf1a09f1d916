// Reading a file that describes a structure (a load-test scenario, a game-day experiment): YAML, or JSON
// when its name ends in .json. The caller turns the parsed value into its own type and names its errors.
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';

/**
 * The parsed content of a YAML or JSON file (JSON when its name ends in .json), for files that
 * describe a structure (scenarios, experiments); a missing file or bad syntax becomes the caller's
 * error, its message naming the file.
 */
export async function readDataFile(file: string, error: (message: string) => Error): Promise<unknown> {
  const json = file.toLowerCase().endsWith('.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw error(`${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  try {
    return json ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw error(`${file}: not valid ${json ? 'JSON' : 'YAML'}: ${(err as Error).message}`);
  }
}
