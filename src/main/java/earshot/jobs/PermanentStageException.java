package earshot.jobs;

/** A failure caused by the input (not audio, 404, refused address): retrying cannot help, so the job fails now. */
public class PermanentStageException extends RuntimeException {
  private final transient JobFailure failure;

  public PermanentStageException(String message) {
    this(message, (JobFailure) null);
  }

  /** A failure an API maps to a status of its own: {@code failure} travels with the job beside the message. */
  public PermanentStageException(String message, JobFailure failure) {
    super(message);
    this.failure = failure;
  }

  public PermanentStageException(String message, Throwable cause) {
    super(message, cause);
    this.failure = null;
  }

  /** The typed reason, or null when the message is all there is. */
  public JobFailure failure() {
    return failure;
  }
}
