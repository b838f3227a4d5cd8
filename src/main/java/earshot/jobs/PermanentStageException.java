package earshot.jobs;

/** A failure caused by the input (not audio, 404, refused address): retrying cannot help, so the job fails now. */
public class PermanentStageException extends RuntimeException {
  public PermanentStageException(String message) {
    super(message);
  }

  public PermanentStageException(String message, Throwable cause) {
    super(message, cause);
  }
}
