package earshot.transcribe;

import java.time.Duration;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The whisper states a JVM may hold ({@code audio.whisper.max_states}), with two lanes: a live stream's decode pass
 * takes a free state before any batch window that is waiting, and a batch job's session gives its state up between
 * windows while a live pass waits ({@link WhisperFfmEngine}'s batch sessions ask {@link #liveWaiting()}). A pass is
 * short (a few seconds of audio), a window may be minutes, so this is what keeps live latency while jobs run.
 *
 * <p>Threading: thread-safe; {@link #acquire} blocks the calling worker thread.
 */
final class StatePermits {
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private int free;
  private int liveWaiting;

  StatePermits(int permits) {
    this.free = permits;
  }

  /** Takes a permit within {@code wait}; a batch caller also waits while any live caller does. */
  boolean acquire(boolean live, Duration wait) throws InterruptedException {
    long nanos = wait.toNanos();
    lock.lockInterruptibly();
    try {
      if (live) {
        liveWaiting++;
      }
      try {
        while (free == 0 || (!live && liveWaiting > 0)) {
          if (nanos <= 0) {
            return false;
          }
          nanos = changed.awaitNanos(nanos);
        }
        free--;
        return true;
      } finally {
        if (live) {
          liveWaiting--;
          changed.signalAll(); // batch callers held back by this one may go now
        }
      }
    } finally {
      lock.unlock();
    }
  }

  void release() {
    lock.lock();
    try {
      free++;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Live passes waiting for a state now. */
  int liveWaiting() {
    lock.lock();
    try {
      return liveWaiting;
    } finally {
      lock.unlock();
    }
  }
}
