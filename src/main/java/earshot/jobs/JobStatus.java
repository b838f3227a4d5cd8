package earshot.jobs;

import java.util.Locale;

/** The job state machine's states. Terminal states never change again, except through an explicit retry. */
public enum JobStatus {
  QUEUED, PROCESSING, COMPLETED, FAILED, CANCELLED;

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public boolean isTerminal() {
    return this == COMPLETED || this == FAILED || this == CANCELLED;
  }

  public static JobStatus fromWire(String s) {
    return valueOf(s.toUpperCase(Locale.ROOT));
  }
}
