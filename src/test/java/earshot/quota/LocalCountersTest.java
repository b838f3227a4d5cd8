package earshot.quota;

import earshot.testsupport.MutableClock;
import io.vertx.core.Vertx;
import java.time.Duration;

/** {@link ActiveCountersContract} in memory, on a clock the test moves. */
class LocalCountersTest extends ActiveCountersContract {
  final MutableClock clock = new MutableClock();

  @Override
  ActiveCounters create(Vertx vertx, Duration ttl) {
    return new LocalCounters(clock, ttl);
  }

  @Override
  void passTtl(ActiveCounters expiring) {
    clock.advance(SHORT_TTL.plus(Duration.ofMillis(1)));
  }
}
