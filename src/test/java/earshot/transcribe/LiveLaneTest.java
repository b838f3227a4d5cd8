package earshot.transcribe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.testsupport.Await;
import earshot.testsupport.Deadlines;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On the real engine with one state: a live pass that waits while a batch job holds the only state gets it at the
 * job's next window boundary, and the job takes a state again after the pass and decodes on.
 */
class LiveLaneTest {
  @TempDir
  Path dir;

  @Test
  void aBatchSessionHandsItsStateToAWaitingLivePassBetweenWindows() throws Exception {
    Path model = SyntheticModel.write(dir.resolve("ggml-base.bin"), SyntheticModel.Spec.tiny());
    float[] audio = new float[16_000 * 2];
    WhisperEngine.DecodeOptions options = new WhisperEngine.DecodeOptions("en", false, null, SyntheticModel.QUICK, 1,
        false);
    try (WhisperFfmEngine engine = new WhisperFfmEngine(1, null)) {
      try (WhisperEngine.Session batch = engine.open(model, Deadlines.WAIT)) {
        batch.transcribe(audio, options); // window 1
        CompletableFuture<Integer> live = CompletableFuture.supplyAsync(() -> {
          try (WhisperEngine.Session pass = engine.openLive(model, Deadlines.WAIT)) {
            return pass.transcribe(audio, options).segments().size();
          } catch (InterruptedException e) {
            throw new IllegalStateException(e);
          }
        });
        Await.until("the live pass to wait for the state", Deadlines.WAIT, () -> engine.liveWaiting() == 1);
        batch.yieldToLive(); // returns once the pass has had the state and the job holds one again
        live.get(Deadlines.WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertEquals(0, engine.liveWaiting());
        assertTrue(batch.transcribe(audio, options).segments() != null, "window 2 decodes on the new state");
        assertEquals(1, engine.liveStates());
      }
      assertEquals(0, engine.liveStates());
    }
  }
}
