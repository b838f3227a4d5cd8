package earshot;

import earshot.cluster.HazelcastSettings;
import earshot.cluster.MemberDepartures;
import earshot.config.ConfigException;
import earshot.config.ConfigLoader;
import earshot.config.EarshotConfig;
import earshot.metrics.MicrometerJobMetrics;
import earshot.artifacts.ArtifactStore;
import earshot.artifacts.ArtifactStores;
import earshot.metrics.NodeRegistry;
import earshot.pipeline.AudioPipeline;
import earshot.runner.StageRegistry;
import earshot.transcribe.WhisperEngine;
import earshot.transcribe.WhisperFfmEngine;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Entry point of {@code java -jar earshot.jar [--conf FILE] [--cluster]}: loads the configuration, builds Vert.x with
 * Micrometer metrics (clustered over Hazelcast when asked) and the audio pipeline's stages, starts an
 * {@link EarshotNode} and stops it gracefully on SIGTERM.
 */
public final class Main {
  private static final Logger LOG = LoggerFactory.getLogger(Main.class);

  private Main() {}

  /** The stages a node runs, given its configuration, its artifact store, the whisper engine and the clock. */
  @FunctionalInterface
  public interface Stages {
    StageRegistry of(EarshotConfig config, ArtifactStore artifacts, WhisperEngine engine, Clock clock);
  }

  public static void main(String[] args) {
    run(args, AudioPipeline::stages);
  }

  /** A node with {@code stages} in place of the audio pipeline's (benchmarks run no-op stages this way). */
  public static void run(String[] args, Stages stages) {
    EarshotConfig config;
    try {
      config = ConfigLoader.load(args, System.getenv());
    } catch (ConfigException e) {
      System.err.println("earshot: invalid configuration: " + e.getMessage());
      System.exit(2);
      return;
    }

    WhisperEngine engine;
    try {
      // loads libwhisper.so.1 and runs the layout self-test: a mismatched library stops start-up here, not later
      engine = new WhisperFfmEngine(config.audio().whisper().maxStates(), config.audio().whisper().libraryDir());
    } catch (IllegalStateException e) {
      System.err.println("earshot: whisper library refused: " + e.getMessage());
      System.exit(2);
      return;
    }

    // The node label is a common tag, set before Vert.x and the JVM binders register their meters.
    PrometheusMeterRegistry registry = NodeRegistry.prometheus(config.metrics().nodeName());
    Vertx vertx;
    HazelcastClusterManager cluster;
    try {
      cluster = config.cluster().enabled() ? new HazelcastClusterManager(HazelcastSettings.hazelcast(config.cluster()))
          : null;
      vertx = vertx(config, registry, cluster);
    } catch (Exception e) {
      System.err.println("earshot: could not join the cluster: " + rootMessage(e));
      System.exit(1);
      return;
    }
    Clock clock = Clock.systemUTC();
    // One artifact store for the node and its stages; a bad s3 setting was refused with the config already.
    ArtifactStore artifacts = ArtifactStores.open(config, clock);
    EarshotNode node = new EarshotNode(vertx, config, new MicrometerJobMetrics(registry), registry,
        stages.of(config, artifacts, engine, clock), clock, artifacts);
    if (cluster != null) {
      node.nodeMetrics().clusterMembers(() -> cluster.isActive() ? cluster.getNodes().size() : 0);
      MemberDepartures.publish(vertx, cluster);
    }

    try {
      node.start().await(5, TimeUnit.MINUTES);
    } catch (Exception e) {
      System.err.println("earshot: start-up failed: " + rootMessage(e));
      try {
        vertx.close().await(30, TimeUnit.SECONDS);
      } catch (Exception closing) {
        LOG.warn("close after failed start-up: {}", rootMessage(closing));
      }
      System.exit(1);
    }

    long graceSeconds = config.jobs().shutdownGrace().toSeconds() + 15;
    Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("earshot-shutdown").unstarted(() -> {
      LOG.info("shutting down: no new work, finishing or handing back running stages");
      try {
        // Awaited separately: a future bound to a closed event loop would never complete.
        node.stop().await(graceSeconds, TimeUnit.SECONDS);
        vertx.close().await(30, TimeUnit.SECONDS);
        artifacts.close();
        engine.close(); // after the runners: no transcription is using a whisper state any more
        LOG.info("shutdown complete");
      } catch (Exception e) {
        LOG.warn("shutdown did not finish cleanly: {}", rootMessage(e));
      }
    }));
  }

  /**
   * Vert.x with Micrometer metrics: clustered over Hazelcast with {@code EARSHOT_CLUSTER=true} (or {@code --cluster}),
   * else with a bus local to this process.
   */
  private static Vertx vertx(EarshotConfig config, PrometheusMeterRegistry registry, HazelcastClusterManager manager)
      throws Exception {
    VertxOptions options = new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)
        .setJvmMetricsEnabled(true));
    var builder = Vertx.builder().withMetrics(new MicrometerMetricsFactory(registry));
    EarshotConfig.Cluster cluster = config.cluster();
    if (!cluster.enabled()) {
      return builder.with(options).build();
    }
    LOG.info("joining cluster '{}' (members {}, multicast {})", cluster.name(),
        cluster.members().isEmpty() ? "none: this node starts it" : cluster.members(), cluster.multicast());
    return builder.with(options.setEventBusOptions(HazelcastSettings.eventBus(cluster)))
        .withClusterManager(manager)
        .buildClustered()
        .await(2, TimeUnit.MINUTES);
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.toString() : t.getMessage();
  }
}
