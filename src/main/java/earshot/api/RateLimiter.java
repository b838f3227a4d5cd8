package earshot.api;

import earshot.config.EarshotConfig;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A token bucket per caller (API key user or JWT subject): {@code requests_per_second} refill up to {@code burst}.
 * An empty bucket answers 429 with {@code Retry-After}. Shared by the node's HTTP verticle instances, which run on
 * different event loops: the bucket update is synchronized (a few arithmetic operations, so contention is nil).
 */
public final class RateLimiter implements Handler<RoutingContext> {
  private static final int MAX_CALLERS = 100_000;

  private final double perNano;
  private final double burst;
  private final Map<String, double[]> buckets = new LinkedHashMap<>(256, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, double[]> eldest) {
      return size() > MAX_CALLERS;
    }
  };

  public RateLimiter(EarshotConfig.RateLimit limit) {
    this.perNano = limit.requestsPerSecond() / 1e9;
    this.burst = limit.burst();
  }

  /** Takes a token for {@code caller}: 0 when granted, else the seconds until the next one. */
  private synchronized long take(String caller, long now) {
    double[] b = buckets.computeIfAbsent(caller, c -> new double[] {burst, now});
    b[0] = Math.min(burst, b[0] + (now - (long) b[1]) * perNano);
    b[1] = now;
    if (b[0] >= 1) {
      b[0] -= 1;
      return 0;
    }
    return Math.max(1, (long) Math.ceil((1 - b[0]) / perNano / 1e9));
  }

  @Override
  public void handle(RoutingContext ctx) {
    String caller = Principal.of(ctx).ownerUserId();
    long retryAfter = take(caller, System.nanoTime());
    if (retryAfter == 0) {
      ctx.next();
      return;
    }
    ctx.fail(ApiError.rateLimited(Math.max(1, retryAfter)));
  }
}
