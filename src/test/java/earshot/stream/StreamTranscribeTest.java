package earshot.stream;

import static earshot.testsupport.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.audio.TestAudio;
import earshot.bus.ActiveCounts;
import earshot.bus.ActiveCountsReply;
import earshot.bus.Addresses;
import earshot.config.EarshotConfig;
import earshot.metrics.NoopJobMetrics;
import earshot.pipeline.AudioPipeline;
import earshot.testsupport.ApiNode;
import earshot.testsupport.Await;
import earshot.testsupport.Deadlines;
import earshot.testsupport.TestConfigs;
import earshot.transcribe.SyntheticModel;
import earshot.transcribe.WhisperFfmEngine;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code WS /api/v1/audio/stream/transcribe} end to end: a node with the API, scheduler (SQLite) and transcriber
 * roles, whisper.cpp on a synthetic model (its text is noise, but it is real text from a real decode), and a real
 * Vert.x WebSocket client sending generated audio in 100 ms frames.
 */
class StreamTranscribeTest {
  static final String KEY = "stream-test-key-0123456789";

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

  PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  int start(JsonObject tier, double idleSeconds) {
    return start(tier, new JsonObject().put("idle_timeout_seconds", idleSeconds));
  }

  int start(JsonObject tier, JsonObject stream) {
    EarshotConfig config = TestConfigs.local(dir, new JsonObject()
        .put("roles", List.of("api", "scheduler", "gpu", "cpu"))
        .put("jobs", new JsonObject().put("poll_interval_ms", 100))
        .put("api", new JsonObject().put("key", KEY))
        .put("stream", stream)
        .put("quota", new JsonObject().put("default_tier", "t").put("tiers", new JsonObject().put("t", tier)))
        .put("audio", new JsonObject().put("models_dir", models.toString()).put("default_model", "base")
            .put("whisper", new JsonObject().put("threads", 1).put("max_states", 2))));
    api.start(config, NoopJobMetrics.INSTANCE, registry, AudioPipeline.stages(config, engine, Clock.systemUTC()),
        Clock.systemUTC());
    return api.port();
  }

  static JsonObject tier(int streams, Integer dailyMinutes) {
    return new JsonObject().put("concurrent_jobs", 1).put("concurrent_streams", streams)
        .put("daily_minutes", dailyMinutes).putNull("max_file_minutes").putNull("max_queued_jobs");
  }

  int start() {
    return start(tier(4, null), 30);
  }

  StreamClient open(int port) {
    return new StreamClient(api.vertx(), port, "/api/v1/audio/stream/transcribe", KEY);
  }

  static JsonObject config() {
    return new JsonObject().put("type", "config").put("model", "whisper-1").put("language", "en")
        .put("sample_rate", 16000).put("encoding", "pcm_s16le").put("interim_results", true)
        .put("endpointing_ms", 500);
  }

  @Test
  void partialsAndFinalsArriveWithMonotonicTimesInsideTheAudioAndEndGivesDone() {
    StreamClient c = open(start());
    c.send(config());
    c.next("ready");
    float[] audio = LiveAudio.concat(LiveAudio.silence(0.5), LiveAudio.voice(3, 1), LiveAudio.silence(1),
        LiveAudio.voice(2.5, 2), LiveAudio.silence(1));
    c.stream(audio, 0.1);
    c.send(new JsonObject().put("type", "end"));
    JsonObject done = c.next("done");
    assertEquals(8.0, done.getDouble("duration_seconds"), 0.01);
    double total = audio.length / 16000.0;
    List<JsonObject> finals = c.ofType("final");
    assertTrue(finals.stream().anyMatch(f -> !f.getJsonObject("segment").getString("text").isBlank()),
        "finals: " + c.snapshot());
    assertTrue(finals.stream().anyMatch(f -> f.getBoolean("speech_final")), finals.toString());
    double lastEnd = 0;
    int id = -1;
    for (JsonObject f : finals) {
      JsonObject s = f.getJsonObject("segment");
      assertTrue(!s.getString("text").isBlank() || f.getBoolean("speech_final"),
          "only an utterance's end may come as an empty final: " + f.encode());
      assertTrue(s.getInteger("id") > id, "ids rise: " + finals);
      id = s.getInteger("id");
      assertTrue(s.getDouble("start") >= lastEnd - 1e-9 && s.getDouble("end") >= s.getDouble("start")
          && s.getDouble("end") <= total, "final times monotonic and inside the audio: " + finals);
      lastEnd = s.getDouble("end");
      for (Object w : s.getJsonArray("words")) {
        JsonObject word = (JsonObject) w;
        assertTrue(word.getDouble("start") >= s.getDouble("start") && word.getDouble("end") <= s.getDouble("end"));
      }
    }
    for (JsonObject p : c.ofType("partial")) {
      assertTrue(p.getDouble("start") <= p.getDouble("end") && p.getDouble("end") <= total, p.encode());
    }
    String scrape = registry.scrape();
    assertTrue(scrape.lines().anyMatch(l -> l.startsWith("stream_audio_seconds_total ")
        && Math.abs(Double.parseDouble(l.split(" ")[1]) - 8.0) < 0.01), "audio counted: " + scrape);
    assertTrue(scrape.contains("stream_final_latency_seconds_count"), scrape);
  }

  @Test
  void speechSentFasterThanInferenceIsReadAsFastAsItAllowsWithALagMessage() {
    // one pass at a time on one state, and at most 1 s of audio waiting: a 40 s file sent at once must lag
    StreamClient c = open(start(tier(2, null), new JsonObject().put("max_lag_seconds", 1).put("max_window_seconds", 5)));
    c.send(config());
    c.next("ready");
    c.stream(LiveAudio.voice(40, 11), 0.5);
    c.send(new JsonObject().put("type", "end"));
    JsonObject done = c.next("done");
    assertEquals(40.0, done.getDouble("duration_seconds"), 0.01, "every sample was read in the end");
    JsonObject lag = c.ofType("lag").getFirst();
    assertTrue(lag.getDouble("seconds") > 1, lag.encode());
    double lastEnd = 0;
    for (JsonObject f : c.ofType("final")) {
      JsonObject s = f.getJsonObject("segment");
      assertTrue(s.getDouble("end") - s.getDouble("start") <= 5.01, "a pass never decodes more than the window: " + f);
      assertTrue(s.getDouble("start") >= lastEnd - 1e-9, c.ofType("final").toString());
      lastEnd = s.getDouble("end");
    }
  }

  @Test
  void finalizeFlushesWithinASecondOfTheServersTime() throws Exception {
    StreamClient c = open(start());
    c.send(config());
    c.next("ready");
    c.stream(LiveAudio.voice(2, 3), 0.1);
    c.send(new JsonObject().put("type", "finalize"));
    JsonObject finalized = c.next("finalized");
    // Measured by the server from the finalize message to its flush: the 1 s, slack only for a loaded machine.
    long bound = 1000L * Math.max(1, Deadlines.SLOWDOWN / 5);
    assertTrue(finalized.getLong("server_ms") <= bound, finalized.encode());
    assertFalse(c.ofType("final").isEmpty(), "the flushed audio is final: " + c.snapshot());
    c.send(new JsonObject().put("type", "end"));
    c.next("done");
    assertEquals(1000, c.closeStatus());
  }

  @Test
  void aBadConfigGetsAnErrorFrameAndASecondMalformedFrameCloses1003() throws Exception {
    StreamClient c = open(start());
    c.send(config().put("encoding", "mp3"));
    JsonObject error = c.next("error");
    assertEquals("invalid_message", error.getString("error_type"));
    assertTrue(error.getString("message").contains("encoding"), error.encode());
    c.audio(new byte[] {1, 2, 3, 4});
    c.next("error");
    assertEquals(1003, c.closeStatus());
  }

  @Test
  void sixtySecondsOfSilenceSentFasterThanRealTimeGiveNoFinalWithText() {
    StreamClient c = open(start());
    c.send(config());
    c.next("ready");
    c.stream(LiveAudio.concat(LiveAudio.silence(40), LiveAudio.noise(20, 0.001, 5)), 0.1);
    c.send(new JsonObject().put("type", "end"));
    assertEquals(60.0, c.next("done").getDouble("duration_seconds"), 0.01);
    assertTrue(c.ofType("final").stream().allMatch(f -> f.getJsonObject("segment").getString("text").isBlank()),
        c.ofType("final").toString());
    assertTrue(c.ofType("partial").isEmpty(), c.ofType("partial").toString());
  }

  @Test
  void aStreamOverConcurrentStreamsGetsTheQuotaErrorAndClose4003() throws Exception {
    int port = start(tier(1, null), 30);
    StreamClient first = open(port);
    first.send(config());
    first.next("ready");
    StreamClient second = open(port);
    second.send(config());
    JsonObject error = second.next("error");
    assertEquals("quota_exceeded", error.getString("error_type"));
    assertEquals("concurrent_streams", error.getString("quota"));
    assertEquals(4003, second.closeStatus());
    assertEquals("{\"error_type\":\"quota_exceeded\"}", second.ws.closeReason());
    assertTrue(second.ofType("partial").isEmpty() && second.ofType("final").isEmpty());
    first.send(new JsonObject().put("type", "end"));
    first.next("done");
  }

  @Test
  void whenTheDailyMinutesRunOutMidStreamTheLastFinalComesThenTheErrorAndClose4003() throws Exception {
    StreamClient c = open(start(tier(2, 1), 30));
    c.send(config());
    c.next("ready");
    c.stream(LiveAudio.concat(LiveAudio.silence(50), LiveAudio.voice(12, 6)), 0.1);
    try {
      c.stream(LiveAudio.silence(10), 0.1);
    } catch (RuntimeException closedMeanwhile) {
      // the server may close before the last frames are written
    }
    JsonObject error = c.next("error");
    assertEquals("daily_minutes", error.getString("quota"), error.encode());
    assertEquals(4003, c.closeStatus());
    List<JsonObject> messages = c.snapshot();
    int errorAt = messages.indexOf(error);
    assertTrue(messages.subList(errorAt, messages.size()).stream().noneMatch(m -> "final".equals(m.getString("type"))),
        "no final after the error: " + messages);
    JsonObject usage = await(api.client().get(api.port(), "127.0.0.1", "/api/v1/audio/usage")
        .putHeader("X-API-KEY", KEY).send()).bodyAsJsonObject();
    assertTrue(usage.getDouble("minutes_used") >= 1.0, usage.encode());
  }

  @Test
  void aStreamWithNeitherAudioNorKeepaliveIsClosed1008IdleTimeout() throws Exception {
    StreamClient c = open(start(tier(2, null), 1.5));
    c.send(config());
    c.next("ready");
    c.send(new JsonObject().put("type", "keepalive"));
    assertEquals(1008, c.closeStatus());
    assertEquals("idle_timeout", c.ws.closeReason());
    Await.until("the idle close to be counted", Deadlines.WAIT,
        () -> registry.scrape().contains("stream_closed_total{reason=\"idle_timeout\"} 1.0"));
  }

  @Test
  void aClientThatDropsTheConnectionAbruptlyGivesItsStreamSlotBack() throws Exception {
    int port = start(tier(1, null), 30);
    try (Socket raw = new Socket("127.0.0.1", port)) {
      OutputStream out = raw.getOutputStream();
      out.write(("GET /api/v1/audio/stream/transcribe HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
          + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
          + "X-API-KEY: " + KEY + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = raw.getInputStream();
      readUntil(in, "\r\n\r\n"); // the 101: only then does the socket speak WebSocket
      out.write(maskedText(config().encode()));
      out.flush();
      readUntil(in, "\"ready\"");
      assertEquals(1, streams(), "the stream holds its place");
    } // closed without a close frame
    Await.until("the stream's place to be released", Deadlines.WAIT, () -> streams() == 0);
    assertTrue(registry.scrape().contains("stream_closed_total{reason=\"client_gone\"} 1.0"));
    StreamClient next = open(port); // and the owner may open another
    next.send(config());
    next.next("ready");
  }

  @Test
  void oggOpusIsDecodedAsAStream() throws Exception {
    Path wav = TestAudio.writeWav(dir.resolve("speech.wav"), 6, 16000, 1);
    Path ogg = TestAudio.encode(wav, TestAudio.Format.OGG_OPUS, dir, "speech");
    StreamClient c = open(start());
    c.send(config().put("encoding", "opus").put("sample_rate", 48000));
    c.next("ready");
    byte[] bytes = Files.readAllBytes(ogg);
    for (int i = 0; i < bytes.length; i += 2000) {
      c.audio(java.util.Arrays.copyOfRange(bytes, i, Math.min(bytes.length, i + 2000)));
    }
    c.send(new JsonObject().put("type", "end"));
    assertEquals(6.0, c.next("done").getDouble("duration_seconds"), 0.1);
  }

  @Test
  void aSavedStreamBecomesACompletedJobWhoseResultRendersInEveryFormat() {
    int port = start();
    StreamClient c = open(port);
    c.send(config().put("save", true));
    c.next("ready");
    c.stream(LiveAudio.concat(LiveAudio.voice(2.5, 9), LiveAudio.silence(1), LiveAudio.voice(2, 10)), 0.1);
    c.send(new JsonObject().put("type", "end"));
    JsonObject done = c.next("done");
    long id = done.getLong("job_id", -1L);
    assertTrue(id > 0, done.encode());
    String text = String.join(" ", c.ofType("final").stream()
        .map(f -> f.getJsonObject("segment").getString("text")).toList());
    var web = api.client();
    JsonObject job = Await.until("the saved stream's job to complete", Deadlines.WAIT, () -> await(web
        .get(port, "127.0.0.1", "/api/v1/audio/jobs/" + id).putHeader("X-API-KEY", KEY).send()).bodyAsJsonObject(),
        j -> "completed".equals(j.getString("status")));
    JsonObject result = await(web.get(port, "127.0.0.1", "/api/v1/audio/jobs/" + id + "/result")
        .putHeader("X-API-KEY", KEY).send()).bodyAsJsonObject();
    assertEquals(text, result.getString("text"), "the committed text is the job's");
    for (String format : List.of("json", "text", "srt", "vtt", "verbose_json")) {
      var r = await(web.get(port, "127.0.0.1", "/api/v1/audio/jobs/" + id + "/result?format=" + format)
          .putHeader("X-API-KEY", KEY).send());
      assertEquals(200, r.statusCode(), format + ": " + r.bodyAsString());
      if (!text.isEmpty()) {
        assertTrue(r.bodyAsString().contains(c.ofType("final").getFirst().getJsonObject("segment").getString("text")
            .split(" ")[0]), format + ": " + r.bodyAsString());
      }
    }
    Path wav = dir.resolve("data").resolve("results").resolve(job.getString("uuid")).resolve("stream.wav");
    assertEquals(44 + 5.5 * 32000, wav.toFile().length(), 2, "the stream's audio is kept as a WAV");
  }

  @Test
  void espeakSpeechAt22050HzIsResampledAndTranscribed() throws Exception {
    String espeak = java.util.stream.Stream.of("/usr/bin/espeak-ng", "/usr/local/bin/espeak-ng")
        .filter(p -> Files.isExecutable(Path.of(p))).findFirst().orElse(null);
    org.junit.jupiter.api.Assumptions.assumeTrue(espeak != null, "espeak-ng is not installed");
    Path wav = dir.resolve("said.wav");
    TestAudio.run(List.of(espeak, "-v", "en-us", "-w", wav.toString(),
        "The quick brown fox jumps over the lazy dog. Then it sleeps in the sun."));
    byte[] all = Files.readAllBytes(wav);
    byte[] pcm = java.util.Arrays.copyOfRange(all, 44, all.length); // espeak-ng writes 22050 Hz mono s16le WAV
    StreamClient c = open(start());
    c.send(config().put("sample_rate", 22050));
    c.next("ready");
    for (int i = 0; i < pcm.length; i += 4410) { // 100 ms frames
      c.audio(java.util.Arrays.copyOfRange(pcm, i, Math.min(pcm.length, i + 4410)));
    }
    c.audio(new byte[2 * 22050]); // 1 s of silence at the same rate
    c.send(new JsonObject().put("type", "end"));
    JsonObject done = c.next("done");
    assertEquals(pcm.length / 2 / 22050.0 + 1, done.getDouble("duration_seconds"), 0.01);
    assertTrue(c.ofType("final").stream().anyMatch(f -> !f.getJsonObject("segment").getString("text").isBlank()),
        c.snapshot().toString());
  }

  static void readUntil(InputStream in, String marker) throws java.io.IOException {
    String seen = "";
    while (!seen.contains(marker)) {
      int b = in.read();
      assertTrue(b >= 0, "the server answered: " + seen);
      seen += (char) b;
    }
  }

  int streams() {
    return ActiveCountsReply.fromJson(await(api.vertx().eventBus().<JsonObject>request(Addresses.QUOTA_ACTIVE,
        new ActiveCounts("1").toJson())).body()).streams();
  }

  /** One masked WebSocket text frame (clients must mask), for the raw-socket test. */
  static byte[] maskedText(String text) {
    byte[] payload = text.getBytes(StandardCharsets.UTF_8);
    byte[] mask = {1, 2, 3, 4};
    java.io.ByteArrayOutputStream f = new java.io.ByteArrayOutputStream();
    f.write(0x81);
    if (payload.length < 126) {
      f.write(0x80 | payload.length);
    } else {
      f.write(0x80 | 126);
      f.write(payload.length >> 8);
      f.write(payload.length & 0xff);
    }
    f.writeBytes(mask);
    for (int i = 0; i < payload.length; i++) {
      f.write(payload[i] ^ mask[i % 4]);
    }
    return f.toByteArray();
  }
}
