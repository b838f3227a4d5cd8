package earshot.metrics;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The node's meters as Prometheus scrapes them, with the node label every meter of the registry carries. */
class MicrometerNodeMetricsTest {
  final PrometheusMeterRegistry registry = NodeRegistry.prometheus("node-a");

  @Test
  void rolesClusterMembersAndErrorCountersExistFromTheStart() {
    new MicrometerNodeMetrics(registry, List.of("api", "scheduler", "cpu", "gpu"), List.of("cpu"));
    String scrape = registry.scrape();
    assertTrue(scrape.contains("node_role{node=\"node-a\",role=\"cpu\"} 1"), scrape);
    assertTrue(scrape.contains("node_role{node=\"node-a\",role=\"api\"} 0"), scrape);
    assertTrue(scrape.contains("cluster_members{node=\"node-a\"} 1"), scrape);
    assertTrue(scrape.contains("webhook_failures_total{node=\"node-a\",reason=\"network\"} 0.0"), scrape);
    assertTrue(scrape.contains("store_errors_total{node=\"node-a\",operation=\"stage_report\"} 0.0"), scrape);
  }

  @Test
  void theClusterFeedsTheMemberCountAndErrorsAreCounted() {
    NodeMetrics metrics = new MicrometerNodeMetrics(registry, List.of("api"), List.of("api"));
    AtomicInteger members = new AtomicInteger(3);
    metrics.clusterMembers(members::get);
    metrics.webhookFailure(NodeMetrics.WEBHOOK_HTTP_STATUS);
    metrics.storeError("acquire");
    metrics.storeError("a new operation");
    String scrape = registry.scrape();
    assertTrue(scrape.contains("cluster_members{node=\"node-a\"} 3"), scrape);
    members.set(2);
    assertTrue(registry.scrape().contains("cluster_members{node=\"node-a\"} 2"), registry.scrape());
    assertTrue(scrape.contains("webhook_failures_total{node=\"node-a\",reason=\"http_status\"} 1.0"), scrape);
    assertTrue(scrape.contains("store_errors_total{node=\"node-a\",operation=\"acquire\"} 1.0"), scrape);
    assertTrue(scrape.contains("store_errors_total{node=\"node-a\",operation=\"a_new_operation\"} 1.0"), scrape);
  }
}
