/**
 * Ctrl-C and SIGTERM: the first calls `stop` (finish what is running, then stop), a second exits
 * at once with 130. Returns the function that removes the handlers.
 */
export function onStopSignals(stop: () => void): () => void {
  let signals = 0;
  const onSignal = () => {
    signals++;
    if (signals === 1) stop();
    else process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}
