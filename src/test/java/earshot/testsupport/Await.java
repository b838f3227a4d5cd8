package earshot.testsupport;

import io.vertx.core.Future;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Blocking helpers for test threads (never event loops): wait for a future, or poll a condition with a deadline.
 * Deadlines are sized for a loaded machine ({@link Deadlines}).
 */
public final class Await {
  private Await() {}

  public static final Duration DEFAULT = Deadlines.WAIT;

  public static <T> T await(Future<T> future) {
    return await(future, DEFAULT);
  }

  public static <T> T await(Future<T> future, Duration timeout) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException re ? re : new RuntimeException(e.getCause());
    } catch (Exception e) {
      throw new AssertionError("future did not complete within " + timeout, e);
    }
  }

  /** The failure of {@code future}, or an AssertionError if it succeeds. */
  public static Throwable awaitFailure(Future<?> future) {
    try {
      future.toCompletionStage().toCompletableFuture().get(DEFAULT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (Exception e) {
      throw new AssertionError("future did not complete within " + DEFAULT, e);
    }
    throw new AssertionError("expected a failure");
  }

  /** Polls {@code condition} every 10 ms until it holds; fails with {@code what} after {@code timeout}. */
  public static void until(String what, Duration timeout, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout + " waiting for " + what);
      }
      try {
        Thread.sleep(10); // polling interval of a deadline-bounded wait, not synchronisation
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting for " + what, e);
      }
    }
  }

  /** Polls {@code value} until {@code accept} holds for it, and returns it. */
  public static <T> T until(String what, Duration timeout, Supplier<T> value, java.util.function.Predicate<T> accept) {
    Object[] last = new Object[1];
    until(what, timeout, () -> {
      T v = value.get();
      last[0] = v;
      return accept.test(v);
    });
    @SuppressWarnings("unchecked")
    T result = (T) last[0];
    return result;
  }
}
