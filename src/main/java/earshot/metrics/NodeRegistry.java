package earshot.metrics;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * The node's Prometheus registry: every meter on it, Earshot's, Vert.x's and the JVM's, carries the label
 * {@code node} with the node's name, so series from several nodes stay apart in one Prometheus. The tag is set before
 * anything registers a meter, because Micrometer applies common tags only to meters registered after it.
 */
public final class NodeRegistry {
  public static final String NODE_TAG = "node";

  private NodeRegistry() {}

  public static PrometheusMeterRegistry prometheus(String nodeName) {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config().commonTags(NODE_TAG, nodeName);
    return registry;
  }
}
