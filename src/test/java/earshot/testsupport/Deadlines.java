package earshot.testsupport;

import java.time.Duration;

/**
 * Every wall-clock duration a test depends on, sized for a loaded build machine rather than a quiet one: a suite that
 * shares its cores with another build runs 4–10 times slower, and a green build must not need a quiet machine.
 * Two kinds of duration go through here:
 * <ul>
 *   <li>deadlines a test waits for something to happen ({@link #WAIT}): generous costs nothing, since a passing test
 *       stops waiting as soon as the thing happens;</li>
 *   <li>expiries a test relies on not passing while it is merely slow (leases, TTLs, request timeouts), and may have
 *       to wait out when it tests the expiry itself ({@link #loaded}): long enough for a loaded machine, no longer.</li>
 * </ul>
 * A test that needs something to expire at a moment it chooses moves a {@link MutableClock} instead.
 */
public final class Deadlines {
  private Deadlines() {}

  /** How many times slower than a quiet machine a test may run and still pass ({@code -Dearshot.test.slowdown}). */
  public static final int SLOWDOWN = Integer.getInteger("earshot.test.slowdown", 10);

  /** {@code quiet}, the most a step takes on an idle machine, stretched to what it may take on a loaded one. */
  public static Duration loaded(Duration quiet) {
    return quiet.multipliedBy(SLOWDOWN);
  }

  /** How long a test waits for one thing (a reply, a job's end, a condition) before it fails: a minute. */
  public static final Duration WAIT = loaded(Duration.ofSeconds(6));
}
