package earshot.quota;

import earshot.testsupport.MutableClock;
import io.vertx.core.Vertx;
import java.time.Duration;

/** {@link ActiveCountersContract} in memory, on a clock the test moves. */
class LocalCountersTest extends ActiveCountersContract {
  final MutableClock clock = new MutableClock();

  @Override
  ActiveCounters create(Vertx vertx) {
    return new LocalCounters(clock, TTL);
  }

  @Override
  void passTtl() {
    clock.advance(TTL.plus(Duration.ofMillis(1)));
  }
}
