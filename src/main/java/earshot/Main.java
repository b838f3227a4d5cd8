package earshot;

import earshot.config.ConfigException;
import earshot.config.ConfigLoader;
import earshot.config.EarshotConfig;
import earshot.metrics.MicrometerJobMetrics;
import earshot.metrics.NodeRegistry;
import earshot.pipeline.AudioPipeline;
import earshot.transcribe.WhisperEngine;
import earshot.transcribe.WhisperFfmEngine;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Entry point of {@code java -jar earshot.jar [--conf FILE]}: loads the configuration, builds Vert.x with Micrometer
 * metrics and the audio pipeline's stages, starts an {@link EarshotNode} and stops it gracefully on SIGTERM.
 */
public final class Main {
  private static final Logger LOG = LoggerFactory.getLogger(Main.class);

  private Main() {}

  public static void main(String[] args) {
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
    Vertx vertx = Vertx.builder()
        .with(new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)
            .setJvmMetricsEnabled(true)))
        .withMetrics(new MicrometerMetricsFactory(registry))
        .build();
    Clock clock = Clock.systemUTC();
    EarshotNode node = new EarshotNode(vertx, config, new MicrometerJobMetrics(registry), registry,
        AudioPipeline.stages(config, engine, clock), clock);

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
        engine.close(); // after the runners: no transcription is using a whisper state any more
        LOG.info("shutdown complete");
      } catch (Exception e) {
        LOG.warn("shutdown did not finish cleanly: {}", rootMessage(e));
      }
    }));
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.toString() : t.getMessage();
  }
}
