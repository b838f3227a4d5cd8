package earshot.bench;

import earshot.EarshotNode;
import earshot.bus.Addresses;
import earshot.bus.JobEvent;
import earshot.bus.SubmitJob;
import earshot.config.ConfigLoader;
import earshot.config.EarshotConfig;
import earshot.jobs.JobStage;
import earshot.metrics.NoopJobMetrics;
import earshot.runner.StageContext;
import earshot.runner.StageOutcome;
import earshot.runner.StageRegistry;
import earshot.testsupport.Databases;
import earshot.testsupport.StandInStages;
import earshot.testsupport.TestConfigs;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Measures the job engine with no-op stages, so what is timed is the engine itself: store round trips, leasing,
 * event-bus hops and runner bookkeeping.
 *
 * <ul>
 *   <li>Throughput: N jobs of 4 stages each (convert, transcribe, chunk, store) are queued first, then a node with
 *   runners starts; completed stage executions per second until the last job completes.</li>
 *   <li>Latency: on an idle node, one job at a time; submit (event-bus request to the scheduler) to the moment the
 *   first stage starts on a runner. p50 and p99.</li>
 * </ul>
 */
public final class EngineBench {
  private static final int STAGES_PER_JOB = 4;

  public static void main(String[] args) throws Exception {
    List<String> stores = args.length > 0 && !args[0].equals("all") ? List.of(args[0]) : List.of("sqlite", "postgres");
    int jobs = args.length > 1 ? Integer.parseInt(args[1]) : 3000;
    int samples = args.length > 2 ? Integer.parseInt(args[2]) : 300;
    Path dir = Files.createTempDirectory("earshot-bench");
    System.out.printf("machine: %d cores, %s%n", Runtime.getRuntime().availableProcessors(), memory());
    List<String> rows = new ArrayList<>();
    for (String store : stores) {
      Databases.Kind kind = Databases.Kind.valueOf(store.toUpperCase(Locale.ROOT));
      double perSecond = throughput(kind.newUrl(dir), jobs);
      long[] latencies = latency(kind.newUrl(dir), samples);
      rows.add(String.format(Locale.ROOT, "| %s | %d jobs × %d stages | %.0f stage executions/s | p50 %.2f ms | p99 %.2f ms |",
          store, jobs, STAGES_PER_JOB, perSecond, percentile(latencies, 50) / 1e6, percentile(latencies, 99) / 1e6));
    }
    System.out.println("| store | workload | throughput | submit→start p50 | submit→start p99 |");
    System.out.println("|---|---|---|---|---|");
    rows.forEach(System.out::println);
    System.exit(0);
  }

  private static JsonObject config(String url, boolean runners) {
    return new JsonObject()
        .put("roles", List.of("scheduler", "cpu", "gpu"))
        .put("store", new JsonObject().put("url", url).put("pool_size", 8))
        .put("jobs", new JsonObject().put("worker_enabled", runners)
            .put("lease_seconds", 60).put("poll_interval_ms", 1000))
        .put("quota", TestConfigs.unlimitedQuota(1000))
        .put("runners", new JsonObject().put("cpu_slots", 32).put("gpu_slots", 8));
  }

  /** No-op stages; {@code onStart} sees each stage start. */
  private static StageRegistry noop(Map<Long, Long> firstStart) {
    return StandInStages.everyStage((stage, ctx) -> {
      if (firstStart != null) {
        firstStart.putIfAbsent(ctx.job().id(), System.nanoTime());
      }
      return Future.succeededFuture(new StageOutcome.Completed(ctx.job().payload(),
          stage == JobStage.AUDIO_STORE ? new JsonObject() : null));
    });
  }

  private static double throughput(String url, int jobs) throws Exception {
    // Queue everything on a node without runners...
    Vertx loader = Vertx.vertx();
    EarshotNode feeder = node(loader, config(url, false), noop(null));
    List<Future<?>> submits = new ArrayList<>();
    for (int i = 0; i < jobs; i++) {
      SubmitJob s = new SubmitJob("owner-" + (i % 50), new JsonObject().put("local_path", "/bench/" + i + ".wav"), 0,
          null, null);
      submits.add(loader.eventBus().request(Addresses.JOBS_SUBMIT, s.toJson()));
      if (submits.size() == 200) {
        Future.all(submits).await(5, TimeUnit.MINUTES);
        submits.clear();
      }
    }
    Future.all(submits).await(5, TimeUnit.MINUTES);
    feeder.stop().await(1, TimeUnit.MINUTES);
    loader.close().await(1, TimeUnit.MINUTES);

    // ...then start a node with runners and time the drain.
    Vertx vertx = Vertx.vertx();
    AtomicInteger completed = new AtomicInteger();
    Promise<Long> allDone = Promise.promise();
    vertx.eventBus().<JsonObject>consumer(Addresses.JOB_EVENTS, m -> {
      if ("completed".equals(JobEvent.fromJson(m.body()).status()) && completed.incrementAndGet() == jobs) {
        allDone.tryComplete(System.nanoTime());
      }
    });
    long start = System.nanoTime();
    EarshotNode node = node(vertx, config(url, true), noop(null));
    long end = allDone.future().await(10, TimeUnit.MINUTES);
    node.stop().await(1, TimeUnit.MINUTES);
    vertx.close().await(1, TimeUnit.MINUTES);
    double seconds = (end - start) / 1e9;
    System.out.printf(Locale.ROOT, "%s throughput: %d stage executions in %.2f s%n", kindOf(url),
        jobs * STAGES_PER_JOB, seconds);
    return jobs * STAGES_PER_JOB / seconds;
  }

  private static long[] latency(String url, int samples) throws Exception {
    Vertx vertx = Vertx.vertx();
    Map<Long, Long> firstStart = new ConcurrentHashMap<>();
    Map<Long, Promise<Void>> done = new ConcurrentHashMap<>();
    vertx.eventBus().<JsonObject>consumer(Addresses.JOB_EVENTS, m -> {
      JobEvent e = JobEvent.fromJson(m.body());
      if ("completed".equals(e.status())) {
        done.computeIfAbsent(e.id(), id -> Promise.promise()).tryComplete();
      }
    });
    EarshotNode node = node(vertx, config(url, true), noop(firstStart));
    long[] out = new long[samples];
    int warmup = 30;
    for (int i = -warmup; i < samples; i++) {
      SubmitJob s = new SubmitJob("owner", new JsonObject().put("local_path", "/bench/x.wav"), 0, null, null);
      long t0 = System.nanoTime();
      long id = vertx.eventBus().<JsonObject>request(Addresses.JOBS_SUBMIT, s.toJson())
          .map(m -> m.body().getJsonObject("job").getLong("id")).await(1, TimeUnit.MINUTES);
      done.computeIfAbsent(id, k -> Promise.promise()).future().await(1, TimeUnit.MINUTES);
      if (i >= 0) {
        out[i] = firstStart.get(id) - t0;
      }
    }
    node.stop().await(1, TimeUnit.MINUTES);
    vertx.close().await(1, TimeUnit.MINUTES);
    return out;
  }

  private static EarshotNode node(Vertx vertx, JsonObject overrides, StageRegistry stages) throws Exception {
    EarshotConfig config = ConfigLoader.fromOverrides(overrides);
    EarshotNode node = new EarshotNode(vertx, config, NoopJobMetrics.INSTANCE, null, stages, Clock.systemUTC());
    node.start().await(2, TimeUnit.MINUTES);
    return node;
  }

  private static double percentile(long[] values, int p) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    int idx = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, idx)];
  }

  private static String kindOf(String url) {
    return url.startsWith("sqlite") ? "sqlite" : "postgres";
  }

  private static String memory() {
    try {
      String line = Files.readAllLines(Path.of("/proc/meminfo")).getFirst();
      return line.replaceAll("\\s+", " ");
    } catch (Exception e) {
      return "memory unknown";
    }
  }
}
