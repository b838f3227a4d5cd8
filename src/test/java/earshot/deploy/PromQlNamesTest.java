package earshot.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Set;
import org.junit.jupiter.api.Test;

/** The metric-name extraction the export check relies on, on the shapes our dashboard and rules use. */
class PromQlNamesTest {
  @Test
  void aHistogramQuantileReadsOnlyItsBuckets() {
    assertEquals(Set.of("stage_seconds_bucket"), PromQlNames.of("histogram_quantile(0.95, sum by (stage, le) "
        + "(rate(stage_seconds_bucket{outcome=\"completed\",node=~\"$node\"}[$__rate_interval])))"));
  }

  @Test
  void labelListsMatchersStringsAndNumbersAreNotNames() {
    assertEquals(Set.of("up", "node_role"), PromQlNames.of("max by (node) (up{job=~\"earshot.*\"} * on (instance) "
        + "group_left (node, role) node_role{role='cpu'}) > 1e-9 or vector(0)"));
    assertEquals(Set.of("jobs_failed_total", "job_total_seconds_count"), PromQlNames.of("sum(rate(jobs_failed_total[5m]))"
        + " / clamp_min(sum(rate(jobs_failed_total[5m])) + sum(rate(job_total_seconds_count[5m])), 1e-9) > 0.10"));
  }

  @Test
  void absentAndComparisonsKeepTheirOperands() {
    assertEquals(Set.of("node_role"), PromQlNames.of("absent(node_role{role=\"cpu\"} == 1)"));
    assertEquals(Set.of("cluster_members"), PromQlNames.of("max(cluster_members) != min(cluster_members)"));
  }

  @Test
  void aBareSelectorAndAnEmptyExpression() {
    assertEquals(Set.of("queue_depth"), PromQlNames.of("queue_depth"));
    assertEquals(Set.of(), PromQlNames.of("  "));
  }
}
