package earshot.runner;

import java.time.Duration;
import java.util.List;

/**
 * What a runner serves; {@code lease} is how long a lease lasts without renewal (jobs.lease_seconds);
 * {@code busTimeout} bounds its requests to a scheduler (cluster.bus_timeout_seconds).
 */
public record RunnerSpec(String name, List<String> queues, int slots, Duration heartbeatInterval, Duration shutdownGrace,
                         Duration lease, Duration busTimeout) {
  /** A runner whose leases last three heartbeat intervals, as the node's config makes them. */
  public RunnerSpec(String name, List<String> queues, int slots, Duration heartbeatInterval, Duration shutdownGrace) {
    this(name, queues, slots, heartbeatInterval, shutdownGrace, heartbeatInterval.multipliedBy(3));
  }

  public RunnerSpec(String name, List<String> queues, int slots, Duration heartbeatInterval, Duration shutdownGrace,
              Duration lease) {
    this(name, queues, slots, heartbeatInterval, shutdownGrace, lease, Duration.ofSeconds(10));
  }

  /**
   * How long an acquire request waits at the scheduler when there is no work: at most {@link StageRunnerVerticle#ACQUIRE_WAIT_MS},
   * and at most the bus timeout, so that a request parked at a scheduler that dies is given up, and sent to another
   * one, within twice the bus timeout.
   */
  long acquireWaitMs() {
    return Math.min(StageRunnerVerticle.ACQUIRE_WAIT_MS, busTimeout.toMillis());
  }
}
