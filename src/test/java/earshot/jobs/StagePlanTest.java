package earshot.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How a job's progress is shared between the stages it runs. */
class StagePlanTest {
  static List<JobStage> running(JsonObject payload) {
    return List.of(JobStage.values()).stream().filter(s -> StagePlan.applies(s, payload)).toList();
  }

  @Test
  void theStagesAJobRunsCoverZeroToHundredInOrderAndTranscriptionHasTheLargestPart() {
    for (JsonObject payload : List.of(
        new JsonObject().put("url", "https://example.org/a.mp3").put("perform_analysis", true),
        new JsonObject().put("local_path", "/srv/a.wav"),
        new JsonObject().put("upload_path", "/d/u.wav").put("perform_chunking", false))) {
      List<JobStage> stages = running(payload);
      int end = 0;
      int widest = 0;
      JobStage widestStage = null;
      for (JobStage stage : stages) {
        ProgressSpan span = StagePlan.span(stage, payload);
        assertEquals(end, span.from(), stage + " starts where the one before ended: " + payload);
        end = span.to();
        if (span.to() - span.from() > widest) {
          widest = span.to() - span.from();
          widestStage = stage;
        }
      }
      assertEquals(100, end, "the last stage ends at 100: " + payload);
      assertEquals(JobStage.AUDIO_TRANSCRIBE, widestStage, payload.encode());
    }
  }

  @Test
  void skippedStagesGiveTheirPartToTheOthers() {
    ProgressSpan all = StagePlan.span(JobStage.AUDIO_TRANSCRIBE,
        new JsonObject().put("url", "https://example.org/a.mp3").put("perform_analysis", true));
    ProgressSpan bare = StagePlan.span(JobStage.AUDIO_TRANSCRIBE,
        new JsonObject().put("upload_path", "/d/u.wav").put("perform_chunking", false));
    assertTrue(bare.to() - bare.from() > all.to() - all.from(), all + " vs " + bare);
    assertEquals(0, StagePlan.span(JobStage.AUDIO_CONVERT, new JsonObject().put("local_path", "/a")).from());
  }

  @Test
  void inAClusterEachModelHasItsOwnTranscribeQueueAndOnOneNodeAllShareOne() {
    var queues = new earshot.config.EarshotConfig.Queues("default", "transcribe",
        java.util.Map.of("large-v3", "transcribe-large"));
    StagePlan cluster = new StagePlan(queues, "base", true);
    StagePlan single = new StagePlan(queues, "base", false);
    JsonObject small = new JsonObject().put(PayloadKeys.MODEL, "small");
    assertEquals("transcribe.small", cluster.queueFor(JobStage.AUDIO_TRANSCRIBE, small));
    assertEquals("transcribe", single.queueFor(JobStage.AUDIO_TRANSCRIBE, small));
    for (StagePlan plan : List.of(cluster, single)) {
      assertEquals("transcribe", plan.queueFor(JobStage.AUDIO_TRANSCRIBE, new JsonObject().put("model", "whisper-1")));
      assertEquals("transcribe", plan.queueFor(JobStage.AUDIO_TRANSCRIBE, new JsonObject().put("model", "base")));
      assertEquals("transcribe", plan.queueFor(JobStage.AUDIO_TRANSCRIBE, new JsonObject()));
      assertEquals("transcribe-large",
          plan.queueFor(JobStage.AUDIO_TRANSCRIBE, new JsonObject().put("model", "large-v3")));
      assertEquals("default", plan.queueFor(JobStage.AUDIO_CONVERT, small));
    }
    assertEquals("small", queues.modelOfQueue("transcribe.small", "base"));
    assertEquals("base", queues.modelOfQueue("transcribe", "base"));
    assertEquals("large-v3", queues.modelOfQueue("transcribe-large", "base"));
    assertEquals(null, queues.modelOfQueue("default", "base"));
  }

  @Test
  void aSavedLiveStreamIsOnlyChunkedAndStoredAndItsProgressStillEndsAtHundred() {
    JsonObject streamed = new JsonObject().put(PayloadKeys.STREAMED, true).put(PayloadKeys.TRANSCRIPT, new JsonObject());
    assertEquals(List.of(JobStage.AUDIO_CHUNK, JobStage.AUDIO_STORE), running(streamed));
    assertEquals(100, StagePlan.span(JobStage.AUDIO_STORE, streamed).to());
    assertEquals(JobStage.AUDIO_TRANSCRIBE, running(new JsonObject().put(PayloadKeys.STREAMED, false)).get(1));
  }
}
