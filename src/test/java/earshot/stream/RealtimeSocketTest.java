package earshot.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.config.EarshotConfig;
import earshot.metrics.NoopJobMetrics;
import earshot.pipeline.AudioPipeline;
import earshot.testsupport.ApiNode;
import earshot.testsupport.TestConfigs;
import earshot.transcribe.SyntheticModel;
import earshot.transcribe.WhisperFfmEngine;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code WS /v1/realtime?intent=transcription} with the events OpenAI's realtime transcription guide shows, sent by a
 * real WebSocket client: pcm16 at 24 kHz in base64 appends, server VAD with OpenAI's defaults, and the events an
 * OpenAI client waits for, in OpenAI's order.
 */
class RealtimeSocketTest {
  static final String KEY = "realtime-test-key-0123456789";

  @TempDir
  static Path models;
  @TempDir
  Path dir;
  @RegisterExtension
  final ApiNode api = new ApiNode();
  static WhisperFfmEngine engine;

  @BeforeAll
  static void model() throws Exception {
    SyntheticModel.write(models.resolve("ggml-base.bin"), SyntheticModel.Spec.tiny());
    engine = new WhisperFfmEngine(2, null);
  }

  @AfterAll
  static void close() {
    engine.close();
  }

  StreamClient connect() {
    EarshotConfig config = TestConfigs.local(dir, new JsonObject()
        .put("roles", List.of("api", "scheduler", "gpu"))
        .put("api", new JsonObject().put("key", KEY))
        .put("quota", TestConfigs.unlimitedQuota(2))
        .put("audio", new JsonObject().put("models_dir", models.toString()).put("default_model", "base")
            .put("whisper", new JsonObject().put("threads", 1).put("max_states", 2))));
    api.start(config, AudioPipeline.stages(config, engine, Clock.systemUTC()));
    return new StreamClient(api.vertx(), api.port(), "/v1/realtime?intent=transcription", KEY);
  }

  /** The guide's session update, as written there. */
  static JsonObject sessionUpdate() {
    return new JsonObject("""
        {
          "type": "transcription_session.update",
          "input_audio_format": "pcm16",
          "input_audio_transcription": {
            "model": "gpt-4o-transcribe",
            "prompt": "",
            "language": ""
          },
          "turn_detection": {
            "type": "server_vad",
            "threshold": 0.5,
            "prefix_padding_ms": 300,
            "silence_duration_ms": 500
          },
          "input_audio_noise_reduction": {
            "type": "near_field"
          },
          "include": [
            "item.input_audio_transcription.logprobs"
          ]
        }""");
  }

  static void append(StreamClient c, float[] at16k) {
    float[] at24k = LiveAudio.at(at16k, 24_000);
    int frame = 2400; // 100 ms
    for (int i = 0; i < at24k.length; i += frame) {
      byte[] pcm = LiveAudio.s16le(LiveAudio.slice(at24k, i, i + frame));
      c.send(new JsonObject().put("type", "input_audio_buffer.append")
          .put("audio", Base64.getEncoder().encodeToString(pcm)));
    }
  }

  @Test
  void serverVadGivesSpeechStartedStoppedCommittedDeltaAndCompletedPerItem() {
    StreamClient c = connect();
    c.next("transcription_session.created");
    c.send(sessionUpdate());
    JsonObject updated = c.next("transcription_session.updated");
    assertEquals("server_vad", updated.getJsonObject("session").getJsonObject("turn_detection").getString("type"));
    append(c, LiveAudio.concat(LiveAudio.silence(0.5), LiveAudio.voice(2.5, 7), LiveAudio.silence(1)));
    JsonObject started = c.next("input_audio_buffer.speech_started");
    String item = started.getString("item_id");
    assertTrue(started.getInteger("audio_start_ms") >= 300 && started.getInteger("audio_start_ms") <= 700,
        started.encode());
    JsonObject stopped = c.next("input_audio_buffer.speech_stopped");
    assertEquals(item, stopped.getString("item_id"));
    assertTrue(stopped.getInteger("audio_end_ms") > started.getInteger("audio_start_ms"));
    JsonObject committed = c.next("input_audio_buffer.committed");
    assertEquals(item, committed.getString("item_id"));
    JsonObject completed = c.next("conversation.item.input_audio_transcription.completed");
    assertEquals(item, completed.getString("item_id"));
    assertEquals(0, completed.getInteger("content_index"));
    List<JsonObject> deltas = c.ofType("conversation.item.input_audio_transcription.delta");
    assertFalse(deltas.isEmpty(), c.snapshot().toString());
    StringBuilder joined = new StringBuilder();
    deltas.forEach(d -> {
      assertEquals(item, d.getString("item_id"));
      joined.append(d.getString("delta"));
    });
    assertEquals(completed.getString("transcript"), joined.toString(), "the deltas add up to the transcript");
    // OpenAI's order: started, stopped, committed, then the transcription events of the item
    List<String> order = c.snapshot().stream().map(j -> j.getString("type")).toList();
    assertTrue(order.indexOf("input_audio_buffer.speech_stopped") < order.indexOf("input_audio_buffer.committed"));
    assertTrue(order.indexOf("input_audio_buffer.committed")
        < order.indexOf("conversation.item.input_audio_transcription.completed"));
  }

  @Test
  void withoutTurnDetectionTheClientCommitsAndAnEmptyCommitIsOpenAisError() {
    StreamClient c = connect();
    c.next("transcription_session.created");
    c.send(sessionUpdate().put("turn_detection", (Object) null));
    c.next("transcription_session.updated");
    c.send(new JsonObject().put("type", "input_audio_buffer.commit"));
    JsonObject error = c.next("error").getJsonObject("error");
    assertEquals("invalid_request_error", error.getString("type"));
    assertEquals("input_audio_buffer_commit_empty", error.getString("code"));
    append(c, LiveAudio.voice(2, 8));
    c.send(new JsonObject().put("type", "input_audio_buffer.commit"));
    String item = c.next("input_audio_buffer.committed").getString("item_id");
    assertEquals(item, c.next("conversation.item.input_audio_transcription.completed").getString("item_id"));
    assertTrue(c.ofType("input_audio_buffer.speech_started").isEmpty(), "no VAD events without turn detection");
  }
}
