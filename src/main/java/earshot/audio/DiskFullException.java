package earshot.audio;

import earshot.jobs.RetryableStageException;

/**
 * The data directory has no room for a job's decoded audio, found before decoding or when a write failed (ENOSPC,
 * from ffmpeg or from Java). Retryable: the input is not at fault, and space comes back when other jobs' work
 * directories are deleted.
 */
public final class DiskFullException extends RetryableStageException {
  public DiskFullException(String message) {
    super(message);
  }

  public DiskFullException(String message, Throwable cause) {
    super(message, cause);
  }
}
