package earshot.bench;

import earshot.EarshotNode;
import earshot.config.EarshotConfig;
import earshot.metrics.NoopJobMetrics;
import earshot.pipeline.AudioPipeline;
import earshot.stream.LiveAudio;
import earshot.testsupport.TestConfigs;
import earshot.transcribe.SyntheticModel;
import earshot.transcribe.WhisperFfmEngine;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Live-stream latency at real-time pace (issue 15): N concurrent streams on one node (api, scheduler, gpu) with the
 * synthetic model, each sending 100 ms pcm_s16le frames on a real-time clock: 0.5 s of silence, then four utterances
 * of 3 s "voice" (a moving tone) each followed by 1 s of silence. Measured on the client:
 * <ul>
 *   <li>first partial: for each utterance, from the moment the audio at the partial's {@code end} was sent to the
 *       arrival of the utterance's first partial;</li>
 *   <li>end of speech to final: from the moment the last voiced frame of an utterance was sent to the arrival of its
 *       {@code speech_final} final (this includes the 500 ms endpointing delay).</li>
 * </ul>
 * The synthetic model's text is noise: these are the pipeline's latencies (VAD, bus, whisper state, decode), not a
 * statement about transcription quality.
 *
 * <p>Usage: {@code bench/stream.sh [streams,...] [max_states]}, e.g. {@code bench/stream.sh 1,4,16 2}.
 */
public final class StreamBench {
  static final String KEY = "stream-bench-key-0123456789";
  static final double[] UTTERANCE_ENDS = {3.5, 7.5, 11.5, 15.5};
  static final double TOTAL = 16.5;

  public static void main(String[] args) throws Exception {
    List<Integer> counts = new ArrayList<>();
    for (String s : (args.length > 0 ? args[0] : "1,4,16").split(",")) {
      counts.add(Integer.parseInt(s.trim()));
    }
    int states = args.length > 1 ? Integer.parseInt(args[1]) : 2;
    Path dir = Files.createTempDirectory("stream-bench");
    Path models = Files.createDirectories(dir.resolve("models"));
    SyntheticModel.write(models.resolve("ggml-base.bin"), SyntheticModel.Spec.tiny());
    EarshotConfig config = TestConfigs.local(dir, new JsonObject()
        .put("roles", List.of("api", "scheduler", "gpu"))
        .put("api", new JsonObject().put("key", KEY))
        .put("quota", TestConfigs.unlimitedQuota(1))
        .put("audio", new JsonObject().put("models_dir", models.toString()).put("default_model", "base")
            .put("whisper", new JsonObject().put("threads", 1).put("max_states", states))));
    Vertx vertx = Vertx.vertx();
    try (WhisperFfmEngine engine = new WhisperFfmEngine(states, null)) {
      EarshotNode node = new EarshotNode(vertx, config, NoopJobMetrics.INSTANCE, null,
          AudioPipeline.stages(config, engine, Clock.systemUTC()), Clock.systemUTC());
      node.start().await(2, TimeUnit.MINUTES);
      float[] audio = LiveAudio.concat(LiveAudio.silence(0.5), LiveAudio.voice(3, 1), LiveAudio.silence(1),
          LiveAudio.voice(3, 2), LiveAudio.silence(1), LiveAudio.voice(3, 3), LiveAudio.silence(1),
          LiveAudio.voice(3, 4), LiveAudio.silence(1));
      System.out.printf("streams  first-partial p50/p95 (s)  end-of-speech→final p50/p95 (s)  partials  finals%n");
      for (int n : counts) {
        Vertx clients = Vertx.vertx();
        WebSocketClient client = clients.createWebSocketClient();
        List<Double> first = Collections.synchronizedList(new ArrayList<>());
        List<Double> fin = Collections.synchronizedList(new ArrayList<>());
        int[] totals = new int[2];
        List<Future<Void>> runs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          runs.add(stream(clients, client, node.httpPort(), audio, first, fin, totals));
        }
        Future.all(runs).await(5, TimeUnit.MINUTES);
        System.out.printf("%7d  %10.3f / %-10.3f  %14.3f / %-14.3f  %8d  %6d%n", n, pct(first, 50), pct(first, 95),
            pct(fin, 50), pct(fin, 95), totals[0], totals[1]);
        client.close().await();
        clients.close().await();
      }
      node.stop().await(1, TimeUnit.MINUTES);
    } finally {
      vertx.close().await();
    }
  }

  static Future<Void> stream(Vertx vertx, WebSocketClient client, int port, float[] audio, List<Double> first,
                             List<Double> fin, int[] totals) {
    Promise<Void> done = Promise.promise();
    client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port)
            .setURI("/api/v1/audio/stream/transcribe").addHeader("X-API-KEY", KEY))
        .onFailure(done::fail)
        .onSuccess(ws -> {
          long[] t0 = {0};
          boolean[] partialSeen = new boolean[UTTERANCE_ENDS.length];
          int[] utteranceFinal = {0};
          ws.textMessageHandler(text -> {
            JsonObject m = new JsonObject(text);
            if (System.getenv("BENCH_DEBUG") != null) {
              System.out.println(text);
            }
            double now = (System.nanoTime() - t0[0]) / 1e9;
            switch (m.getString("type")) {
              case "ready" -> {
                t0[0] = System.nanoTime();
                pace(vertx, ws, audio, t0[0]);
              }
              case "partial" -> {
                synchronized (totals) {
                  totals[0]++;
                }
                int u = utterance(m.getDouble("end"));
                if (u >= 0 && !partialSeen[u]) {
                  partialSeen[u] = true;
                  first.add(now - m.getDouble("end"));
                }
              }
              case "final" -> {
                synchronized (totals) {
                  totals[1]++;
                }
                if (m.getBoolean("speech_final") && utteranceFinal[0] < UTTERANCE_ENDS.length) {
                  int u = utterance(m.getJsonObject("segment").getDouble("end"));
                  if (u >= 0) {
                    fin.add(now - UTTERANCE_ENDS[u]);
                  }
                }
              }
              case "done" -> done.tryComplete();
              default -> { }
            }
          });
          ws.closeHandler(v -> done.tryComplete());
          ws.writeTextMessage(new JsonObject().put("type", "config").put("encoding", "pcm_s16le")
              .put("sample_rate", 16000).put("language", "en").encode());
        });
    return done.future();
  }

  /** Sends 100 ms frames at their real-time moments, then {@code end}. */
  static void pace(Vertx vertx, WebSocket ws, float[] audio, long t0) {
    int frame = 1600;
    int[] next = {0};
    vertx.setPeriodic(20, id -> {
      double now = (System.nanoTime() - t0) / 1e9;
      while (next[0] < audio.length && next[0] / 16000.0 <= now) {
        byte[] pcm = LiveAudio.s16le(LiveAudio.slice(audio, next[0], next[0] + frame));
        ws.writeBinaryMessage(Buffer.buffer(pcm));
        next[0] += frame;
      }
      if (next[0] >= audio.length) {
        vertx.cancelTimer(id);
        ws.writeTextMessage("{\"type\":\"end\"}");
      }
    });
  }

  /** The utterance whose voiced part (the 3 s before its end) or endpointing tail holds {@code t}. */
  static int utterance(double t) {
    for (int u = 0; u < UTTERANCE_ENDS.length; u++) {
      if (t > UTTERANCE_ENDS[u] - 3.3 && t <= UTTERANCE_ENDS[u] + 0.9) {
        return u;
      }
    }
    return -1;
  }

  static double pct(List<Double> values, int p) {
    if (values.isEmpty()) {
      return Double.NaN;
    }
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
  }
}
