package earshot.audio;

import earshot.jobs.RetryableStageException;

/**
 * A decode stopped because it was cancelled or its thread interrupted; ffmpeg was killed. Retryable, because the
 * input is not at fault (a shutdown interrupts work that another node should redo); a runner whose job was
 * aborted discards the outcome anyway.
 */
public final class DecodeCancelledException extends RetryableStageException {
  public DecodeCancelledException(String message) {
    super(message);
  }
}
