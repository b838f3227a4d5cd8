package earshot.artifacts;

import earshot.jobs.RetryableStageException;

/**
 * The artifact store could not be reached or refused a request (a network fault, a missing bucket, bad credentials):
 * a stage that meets it is retried with backoff, never failed for good, and the API answers 503.
 */
public final class ArtifactUnavailableException extends RetryableStageException {
  public ArtifactUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
