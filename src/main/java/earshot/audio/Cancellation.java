package earshot.audio;

import java.util.ArrayList;
import java.util.List;

/**
 * A one-shot cancel signal for blocking audio work. The worker doing the work registers what stops it (destroying
 * an ffmpeg process); whoever decides the work is no longer wanted (a job abort on the event loop) calls
 * {@link #cancel()}. Thread-safe: registration and cancellation may happen on different threads, and an action
 * registered after the cancel runs at once.
 */
public final class Cancellation {
  private final List<Runnable> actions = new ArrayList<>();
  private boolean cancelled;

  /** A signal that nobody cancels. */
  public static Cancellation none() {
    return new Cancellation();
  }

  public void cancel() {
    List<Runnable> toRun;
    synchronized (this) {
      if (cancelled) {
        return;
      }
      cancelled = true;
      toRun = List.copyOf(actions);
      actions.clear();
    }
    toRun.forEach(Runnable::run);
  }

  public synchronized boolean isCancelled() {
    return cancelled;
  }

  /** Undoes one {@link #onCancel} registration. */
  interface Registration extends AutoCloseable {
    @Override
    void close();
  }

  /** Runs {@code action} on cancel (now, if already cancelled); the returned handle unregisters it. */
  Registration onCancel(Runnable action) {
    synchronized (this) {
      if (!cancelled) {
        actions.add(action);
        return () -> {
          synchronized (this) {
            actions.remove(action);
          }
        };
      }
    }
    action.run();
    return () -> {};
  }
}
