package earshot.audio;

import earshot.jobs.PermanentStageException;

/**
 * A decode stopped because its PCM passed the length the caller allowed ({@code limitSeconds}); ffmpeg was killed
 * and the PCM file holds at most that much. Permanent: decoding the same input again gives the same answer. The
 * convert stage turns it into the owner's {@code max_file_minutes} refusal.
 */
public final class AudioTooLongException extends PermanentStageException {
  private final double limitSeconds;
  private final long pcmBytes;

  /** {@code pcmBytes}: what the PCM file held when the decode was stopped (the caller deletes it). */
  public AudioTooLongException(String message, double limitSeconds, long pcmBytes) {
    super(message);
    this.limitSeconds = limitSeconds;
    this.pcmBytes = pcmBytes;
  }

  public long pcmBytes() {
    return pcmBytes;
  }

  public double limitSeconds() {
    return limitSeconds;
  }
}
