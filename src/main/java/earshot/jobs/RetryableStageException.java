package earshot.jobs;

/** A transient failure (network fault, provider error): the stage is retried with backoff. */
public class RetryableStageException extends RuntimeException {
  public RetryableStageException(String message) {
    super(message);
  }

  public RetryableStageException(String message, Throwable cause) {
    super(message, cause);
  }
}
