package earshot.testsupport;

import static earshot.testsupport.Await.await;

import earshot.EarshotNode;
import earshot.config.EarshotConfig;
import earshot.metrics.JobMetrics;
import earshot.metrics.NoopJobMetrics;
import earshot.runner.StageRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.ext.web.client.WebClient;
import java.time.Clock;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The set-up the API tests share: a Vert.x, a {@link WebClient} on it, and the {@link EarshotNode} a test starts
 * (usually from {@link TestConfigs#local}); after each test the node is stopped and the Vert.x closed. Register it on
 * an instance field, so that each test gets its own:
 * <pre>{@code
 * @RegisterExtension final ApiNode api = new ApiNode();
 * ... node = api.start(TestConfigs.local(tempDir, overrides), stages); client().get(api.port(), ...)
 * }</pre>
 */
public final class ApiNode implements AfterEachCallback {
  private final Vertx vertx = Vertx.vertx();
  private WebClient client;
  private EarshotNode node;

  public Vertx vertx() {
    return vertx;
  }

  /** One client on this Vert.x, made on first use. */
  public synchronized WebClient client() {
    if (client == null) {
      client = WebClient.create(vertx);
    }
    return client;
  }

  /** Starts a node of {@code config} running {@code stages}, with no metrics and the system clock. */
  public EarshotNode start(EarshotConfig config, StageRegistry stages) {
    return start(config, NoopJobMetrics.INSTANCE, null, stages, Clock.systemUTC());
  }

  /** Starts a node, and waits until it has started; it is stopped after the test (or by {@link #stop()}). */
  public EarshotNode start(EarshotConfig config, JobMetrics metrics, PrometheusMeterRegistry registry,
      StageRegistry stages, Clock clock) {
    node = new EarshotNode(vertx, config, metrics, registry, stages, clock);
    await(node.start());
    return node;
  }

  /** The node started last; null before {@link #start}. */
  public EarshotNode node() {
    return node;
  }

  /** The HTTP port of the node started last. */
  public int port() {
    return node.httpPort();
  }

  /** Stops the node started last, for a test that looks at what a stopped node leaves. */
  public void stop() {
    if (node != null) {
      EarshotNode stopping = node;
      node = null;
      await(stopping.stop());
    }
  }

  @Override
  public void afterEach(ExtensionContext context) {
    try {
      stop();
    } finally {
      await(vertx.close());
    }
  }
}
