package earshot.transcribe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.testsupport.Await;
import earshot.testsupport.Deadlines;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The two lanes on whisper states: a live pass is served before batch jobs that waited longer. */
class StatePermitsTest {

  @Test
  void aWaitingLivePassGetsTheNextFreeStateBeforeAWaitingBatchJob() throws Exception {
    StatePermits permits = new StatePermits(1);
    assertTrue(permits.acquire(false, Duration.ZERO));
    List<String> order = new CopyOnWriteArrayList<>();
    Thread batch = Thread.ofPlatform().start(() -> take(permits, false, "batch", order));
    Await.until("the batch job to wait", Deadlines.WAIT, () -> waiting(batch));
    Thread live = Thread.ofPlatform().start(() -> take(permits, true, "live", order));
    Await.until("the live pass to wait", Deadlines.WAIT, () -> permits.liveWaiting() == 1);
    permits.release();
    Await.until("the live pass to get the state", Deadlines.WAIT, () -> order.equals(List.of("live")));
    assertTrue(waiting(batch), "the batch job still waits");
    permits.release();
    live.join();
    batch.join();
    assertEquals(List.of("live", "batch"), order);
  }

  @Test
  void aBatchJobDoesNotTakeAFreeStateWhileALivePassWaitsForIt() throws Exception {
    StatePermits permits = new StatePermits(1);
    assertTrue(permits.acquire(true, Duration.ZERO));
    assertFalse(permits.acquire(false, Duration.ofMillis(10)), "none free");
    permits.release();
    assertTrue(permits.acquire(false, Duration.ZERO), "free and no live pass waiting");
    assertFalse(permits.acquire(true, Duration.ofMillis(10)), "a live pass times out too");
  }

  private static boolean waiting(Thread t) {
    Thread.State s = t.getState();
    return s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING;
  }

  private static void take(StatePermits permits, boolean live, String name, List<String> order) {
    try {
      if (permits.acquire(live, Deadlines.WAIT)) {
        order.add(name);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
