package earshot.bench;

import earshot.EarshotNode;
import earshot.audio.TestAudio;
import earshot.bus.Addresses;
import earshot.bus.JobEvent;
import earshot.bus.SubmitJob;
import earshot.config.ConfigLoader;
import earshot.config.EarshotConfig;
import earshot.metrics.NoopJobMetrics;
import earshot.pipeline.AudioPipeline;
import earshot.transcribe.SyntheticModel;
import earshot.transcribe.WhisperFfmEngine;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Peak resident memory while one long file (default 60 minutes of generated mp3) goes through the whole pipeline:
 * convert (jave/ffmpeg), transcribe (whisper.cpp, synthetic model, windowed), chunk and store. RSS is sampled from
 * /proc/self/status every 50 ms; VmHWM is read at the end. Compared with the size of the decoded PCM.
 */
public final class PipelineRssBench {
  public static void main(String[] args) throws Exception {
    int minutes = args.length > 0 ? Integer.parseInt(args[0]) : 60;
    Path dir = Files.createTempDirectory("earshot-rss");
    Path audio = Files.createDirectories(dir.resolve("audio"));
    Path models = Files.createDirectories(dir.resolve("models"));
    SyntheticModel.write(models.resolve("ggml-base.bin"), SyntheticModel.Spec.tiny());
    Path wav = TestAudio.writeWav(audio.resolve("long.wav"), minutes * 60, 16000, 1);
    Path mp3 = TestAudio.encode(wav, TestAudio.Format.MP3, audio, "long");
    Files.delete(wav);

    EarshotConfig config = ConfigLoader.fromOverrides(new JsonObject()
        .put("data_dir", dir.resolve("data").toString())
        .put("roles", List.of("scheduler", "cpu", "gpu"))
        .put("store", new JsonObject().put("url", "sqlite://" + dir.resolve("jobs.db")))
        .put("jobs", new JsonObject().put("lease_seconds", 600))
        // The sampling the recorded figures were measured with: the synthetic model fails every decode's checks,
        // and whisper.cpp's default fallback would turn this memory benchmark into an hours-long decode.
        .put("audio", new JsonObject().put("models_dir", models.toString()).put("default_model", "base")
            .put("allowed_roots", List.of(audio.toString()))
            .put("whisper", new JsonObject().put("beam_size", 2).put("best_of", 1).put("temperature_inc", 0.4))));
    Vertx vertx = Vertx.vertx();
    WhisperFfmEngine engine = new WhisperFfmEngine(config.audio().whisper().maxStates(),
        config.audio().whisper().libraryDir());
    EarshotNode node = new EarshotNode(vertx, config, NoopJobMetrics.INSTANCE, null,
        AudioPipeline.stages(config, engine, Clock.systemUTC()), Clock.systemUTC());
    node.start().await(2, TimeUnit.MINUTES);
    System.gc();
    long baseline = status("VmRSS");

    AtomicLong peak = new AtomicLong(baseline);
    Thread sampler = Thread.ofPlatform().daemon().start(() -> {
      while (!Thread.currentThread().isInterrupted()) {
        peak.accumulateAndGet(status("VmRSS"), Math::max);
        try {
          Thread.sleep(50); // sampling period of a measurement, not synchronisation
        } catch (InterruptedException e) {
          return;
        }
      }
    });
    Promise<String> done = Promise.promise();
    vertx.eventBus().<JsonObject>consumer(Addresses.JOB_EVENTS, m -> {
      String status = JobEvent.fromJson(m.body()).status();
      if (List.of("completed", "failed", "cancelled").contains(status)) {
        done.tryComplete(status + (m.body().getString("error") == null ? "" : ": " + m.body().getString("error")));
      }
    });
    long t0 = System.nanoTime();
    vertx.eventBus().request(Addresses.JOBS_SUBMIT, new SubmitJob("bench",
        new JsonObject().put("local_path", mp3.toString()), 0, null, null).toJson()).await(1, TimeUnit.MINUTES);
    String outcome = done.future().await(60, TimeUnit.MINUTES);
    double seconds = (System.nanoTime() - t0) / 1e9;
    sampler.interrupt();
    long hwm = status("VmHWM");
    long pcm = (long) minutes * 60 * 16000 * 2;
    System.out.printf(Locale.ROOT, "job: %s in %.1f s (%d min of audio)%n", outcome, seconds, minutes);
    System.out.printf(Locale.ROOT, "decoded PCM (s16): %.0f MB; as float[]: %.0f MB%n", pcm / 1e6, pcm * 2 / 1e6);
    System.out.printf(Locale.ROOT, "RSS before the job: %.0f MB; peak sampled: %.0f MB; VmHWM: %.0f MB%n",
        baseline / 1e6, peak.get() / 1e6, hwm / 1e6);
    System.out.printf(Locale.ROOT, "target (PCM + 300 MB): %.0f MB; peak / target = %.2f; growth over baseline %.0f MB%n",
        (pcm + 300e6) / 1e6, Math.max(peak.get(), hwm) / (pcm + 300e6), (Math.max(peak.get(), hwm) - baseline) / 1e6);
    node.stop().await(1, TimeUnit.MINUTES);
    vertx.close().await(1, TimeUnit.MINUTES);
    engine.close();
    System.exit(0);
  }

  /** A /proc/self/status field in bytes. */
  private static long status(String field) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith(field + ":")) {
          return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
        }
      }
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
    return 0;
  }
}
