package earshot.api;

import earshot.config.EarshotConfig;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A token bucket per caller (API key user or JWT subject): {@code requests_per_second} refill up to {@code burst}.
 * An empty bucket answers 429 with {@code Retry-After}. Confined to the HTTP verticle's event loop.
 */
final class RateLimiter implements Handler<RoutingContext> {
  private static final int MAX_CALLERS = 100_000;

  private final double perNano;
  private final double burst;
  private final Map<String, double[]> buckets = new LinkedHashMap<>(256, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, double[]> eldest) {
      return size() > MAX_CALLERS;
    }
  };

  RateLimiter(EarshotConfig.RateLimit limit) {
    this.perNano = limit.requestsPerSecond() / 1e9;
    this.burst = limit.burst();
  }

  @Override
  public void handle(RoutingContext ctx) {
    String caller = Principal.of(ctx).ownerUserId();
    long now = System.nanoTime();
    double[] b = buckets.computeIfAbsent(caller, c -> new double[] {burst, now});
    b[0] = Math.min(burst, b[0] + (now - (long) b[1]) * perNano);
    b[1] = now;
    if (b[0] >= 1) {
      b[0] -= 1;
      ctx.next();
      return;
    }
    long retryAfter = (long) Math.ceil((1 - b[0]) / perNano / 1e9);
    ctx.response().putHeader("Retry-After", String.valueOf(Math.max(1, retryAfter)));
    ctx.fail(new ApiError(429, ProblemTypes.RATE_LIMITED, "Too Many Requests",
        "rate limit exceeded; retry after " + Math.max(1, retryAfter) + " s", null));
  }
}
