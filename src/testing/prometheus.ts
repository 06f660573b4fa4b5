/** A strict little parser of the Prometheus text exposition format (0.0.4), for tests. */

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Exposition {
  /** Metric family name → its `# TYPE` (counter, gauge, histogram, summary, untyped). */
  readonly types: ReadonlyMap<string, string>;
  readonly samples: readonly Sample[];
}

const TYPE_LINE = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/;
const HELP_LINE = /^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*$/;
const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: -?\d+)?$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)/y;
const HISTOGRAM_SUFFIX = /_(bucket|sum|count)$/;

/** Parses `text`; throws on any line that is not valid exposition format, naming the line. */
export function parsePrometheus(text: string): Exposition {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  text.split('\n').forEach((line, i) => {
    const fail = (why: string): never => {
      throw new Error(`metrics line ${i + 1}: ${why}: ${JSON.stringify(line)}`);
    };
    if (line === '') return;
    const type = TYPE_LINE.exec(line);
    if (type) {
      if (types.has(type[1]!)) fail('second TYPE for the same family');
      types.set(type[1]!, type[2]!);
      return;
    }
    if (line.startsWith('#')) {
      if (line.startsWith('# HELP') && !HELP_LINE.test(line)) fail('malformed HELP');
      return;
    }
    const match = SAMPLE_LINE.exec(line) ?? fail('not a sample');
    const [, name = '', labelText = '', valueText = ''] = match;
    const value = parseValue(valueText) ?? fail('bad value');
    const family = types.has(name) ? name : name.replace(HISTOGRAM_SUFFIX, '');
    if (!types.has(family)) fail('sample without a TYPE line');
    samples.push({ name, labels: parseLabels(labelText, fail), value });
  });
  return { types, samples };
}

/** A sample value as Prometheus reads it (Go's ParseFloat: NaN and Inf in any case). */
function parseValue(text: string): number | undefined {
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(text);
  if (special) return special[2]!.toLowerCase() === 'nan' ? NaN : special[1] === '-' ? -Infinity : Infinity;
  const value = Number(text);
  return text.trim() === '' || Number.isNaN(value) ? undefined : value;
}

function parseLabels(text: string, fail: (why: string) => never): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const at = LABEL.lastIndex;
    const match = LABEL.exec(text) ?? fail(`bad label at offset ${at}`);
    const label = match[1]!;
    if (Object.hasOwn(labels, label)) fail(`label ${label} twice`);
    labels[label] = match[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    if (match[3] === '' && LABEL.lastIndex < text.length) fail('labels not separated by commas');
  }
  return labels;
}

/** The samples named `name` whose labels include every pair of `labels`. */
export function samplesOf(exposition: Exposition, name: string, labels: Record<string, string> = {}): Sample[] {
  return exposition.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/** The value of the one sample `name{labels}`; throws when there is none or several. */
export function valueOf(exposition: Exposition, name: string, labels: Record<string, string> = {}): number {
  const found = samplesOf(exposition, name, labels);
  if (found.length !== 1) throw new Error(`expected one sample ${name}${JSON.stringify(labels)}, found ${found.length}`);
  return found[0]!.value;
}
