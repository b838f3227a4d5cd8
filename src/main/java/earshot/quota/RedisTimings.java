package earshot.quota;

import java.time.Duration;

/**
 * How quickly a {@link QuotaVerticle} gives up on a Redis command, and how its reconnect loop backs off: from
 * {@code reconnectMin}, doubling per failed try, up to {@code reconnectMax}.
 */
record RedisTimings(Duration commandTimeout, Duration reconnectMin, Duration reconnectMax) {
  static final RedisTimings DEFAULT =
      new RedisTimings(Duration.ofSeconds(1), Duration.ofMillis(250), Duration.ofSeconds(30));
}
