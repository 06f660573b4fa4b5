import type { Command } from './command.js';

/**
 * One row of `sq help`: the name and summary are here so that help needs no command module;
 * `load` imports the module (and with it the server, store, router ...) only when the command
 * runs or its usage is asked for. command-table.test.ts checks each row against its module.
 */
export interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  load(): Promise<Command>;
}

/** A client command: one row of the table in client-commands.ts. */
const client = (name: string, summary: string): CommandEntry => ({
  name,
  summary,
  load: async () => {
    const { CLIENT_COMMANDS } = await import('./commands/client-commands.js');
    const command = CLIENT_COMMANDS.find((c) => c.name === name);
    if (!command) throw new Error(`no client command '${name}'`);
    return command;
  },
});

/** Every subcommand, in the order `sq help` lists them. Add new commands here. */
export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'host',
    summary: 'Serve the REST API over HTTP (single tenant, or multi-tenant with --config)',
    load: async () => (await import('./commands/host.js')).hostCommand,
  },
  {
    name: 'basic',
    summary: 'Serve the current directory over HTTP on port 1337, index.phext by default',
    load: async () => (await import('./commands/basic.js')).basicCommand,
  },
  {
    name: 'route',
    summary: 'Route requests by token to several sq host backends',
    load: async () => (await import('./commands/route.js')).routeCommand,
  },
  {
    name: 'mesh',
    summary: "A mesh node's peers, lag, errors and conflicts (sq host --mesh-config)",
    load: async () => (await import('./commands/mesh.js')).meshCommand,
  },
  {
    name: 'tenants',
    summary: 'Add, list, remove, rotate or provision tenants in a tenants file or a database',
    load: async () => (await import('./commands/tenants.js')).tenantsCommand,
  },
  {
    name: 'export',
    summary: "Write a tenant's phexts (database or data directory) to plain .phext files",
    load: async () => (await import('./commands/export.js')).exportCommand,
  },
  {
    name: 'import',
    summary: "Load plain .phext files into a tenant's phexts (database or data directory)",
    load: async () => (await import('./commands/import.js')).importCommand,
  },
  {
    name: 'init',
    summary: 'Create an empty phext file and .sq/ for sq share',
    load: async () => (await import('./commands/init.js')).initCommand,
  },
  {
    name: 'share',
    summary: 'Serve one phext to the client commands in this directory (daemon)',
    load: async () => (await import('./commands/share.js')).shareCommand,
  },
  {
    name: 'watch',
    summary: 'Print the changes a server commits, one line each, as they happen',
    load: async () => (await import('./commands/watch.js')).watchCommand,
  },
  {
    name: 'mcp',
    summary: 'Serve phexts to an AI agent as MCP tools over stdio (a server URL or a data directory)',
    load: async () => (await import('./commands/mcp.js')).mcpCommand,
  },
  client('select', 'Print the scroll at <coord>'),
  client('insert', 'Append <text> to the scroll at <coord>'),
  client('update', 'Replace the scroll at <coord> with <text>'),
  client('delete', 'Remove the scroll at <coord>'),
  client('push', 'Replace the scroll at <coord> with the contents of <file>'),
  client('pull', 'Write the scroll at <coord> to <file> (atomically)'),
  client('toc', 'Print the table of contents'),
  client('checksum', 'Print the checksum of the phext'),
  client('delta', 'Print the manifest: "<coord>: <checksum>" per scroll'),
  client('status', 'Print what the daemon serves'),
  client('get', 'Print the whole phext, byte for byte'),
  client('save', 'Write the whole phext to <file> (atomically)'),
  client('json-export', 'Write every scroll to <file> as JSON, in coordinate order'),
  client('diff', 'List coordinates that differ from another phext file'),
  client('slurp', 'Import the text files of <dir> into the scrolls after <coord>'),
  client('where', 'Calculate a coordinate for <text>'),
  client('shutdown', 'Ask the daemon to flush and exit'),
];
