/**
 * A closed pipe on stdout or stderr (`abair restore … --json | head -1`) ends the command quietly
 * instead of with an unhandled EPIPE stack trace. Node reports the closed pipe as an 'error'
 * event on the stream; with a listener installed, the first such error calls the current
 * handler: by default the process exits at once (nothing more can be shown anyway), and a
 * command that writes files (restore) installs its own, which aborts its batch at the next safe
 * point so no half-written or temporary file is left behind.
 */

type Handler = () => void;

let installed = false;
let closed = false;
let handler: Handler | null = null;

function exitQuietly(): void {
  process.exit(process.exitCode ?? 0);
}

function isClosedPipe(err: NodeJS.ErrnoException): boolean {
  return err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED' || err.code === 'ECONNRESET';
}

/** Installs the listeners on process.stdout and process.stderr (once). */
export function installPipeGuard(streams: NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  if (installed) return;
  installed = true;
  for (const stream of streams) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (!isClosedPipe(err)) throw err;
      if (closed) return;
      closed = true;
      (handler ?? exitQuietly)();
    });
  }
}

/** True once a closed pipe was seen: the command's output has nowhere to go. */
export function pipeClosed(): boolean {
  return closed;
}

/** Replaces the default "exit now" while `fn` is in charge; returns the function that restores it. */
export function onPipeClosed(fn: Handler): () => void {
  const previous = handler;
  handler = fn;
  return () => {
    handler = previous;
  };
}
