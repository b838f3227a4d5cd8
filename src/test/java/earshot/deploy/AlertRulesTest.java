package earshot.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * deploy/prometheus: the alert rules pass {@code promtool check rules}, their unit tests pass {@code promtool test
 * rules} (each alert fires on the series that should fire it and stays quiet on healthy ones), every alert has a unit
 * test, and the compose Prometheus configuration passes {@code promtool check config}.
 */
class AlertRulesTest {
  static final Path DIR = Path.of("deploy/prometheus");

  @TempDir
  Path tempDir;

  @Test
  void rulesPassPromtoolCheck() throws Exception {
    Promtool.Result r = Promtool.run(DIR, "check", "rules", "alerts.yml");
    assertEquals(0, r.exitCode(), r.output());
  }

  @Test
  void rulesPassTheirUnitTests() throws Exception {
    Promtool.Result r = Promtool.run(DIR, "test", "rules", "alerts_test.yml");
    assertEquals(0, r.exitCode(), r.output());
  }

  @Test
  void prometheusConfigPassesPromtoolCheck() throws Exception {
    Promtool.Result r = Promtool.run(DIR, "check", "config", "prometheus.yml");
    assertEquals(0, r.exitCode(), r.output());
  }

  @Test
  void aRuleThatDoesNotFireAsTestedFailsTheUnitTests() throws Exception {
    // The unit tests must be able to fail: with a threshold no series reaches, the queue-depth case must break.
    String rules = Files.readString(DIR.resolve("alerts.yml"));
    String broken = rules.replace("max by (queue) (queue_depth) > 100", "max by (queue) (queue_depth) > 100000");
    assertNotEquals(rules, broken, "the queue depth rule changed: update this test");
    Files.writeString(tempDir.resolve("alerts.yml"), broken);
    Files.copy(DIR.resolve("alerts_test.yml"), tempDir.resolve("alerts_test.yml"));
    Promtool.Result r = Promtool.run(tempDir, "test", "rules", "alerts_test.yml");
    assertNotEquals(0, r.exitCode(), r.output());
    assertTrue(r.output().contains("EarshotQueueDepthHigh"), r.output());
  }

  @Test
  void aMalformedRuleFailsPromtoolCheck() throws Exception {
    Files.writeString(tempDir.resolve("bad.yml"), """
        groups:
          - name: bad
            rules:
              - alert: Broken
                expr: sum(rate(jobs_failed_total[5m])
        """);
    assertNotEquals(0, Promtool.run(tempDir, "check", "rules", "bad.yml").exitCode());
  }

  @Test
  @SuppressWarnings("unchecked")
  void everyAlertHasAUnitTestThatFiresItAndOneThatKeepsItQuiet() throws Exception {
    Set<String> alerts = new TreeSet<>();
    Map<String, Object> rules = new Yaml().load(Files.readString(DIR.resolve("alerts.yml")));
    for (Map<String, Object> group : (List<Map<String, Object>>) rules.get("groups")) {
      for (Map<String, Object> rule : (List<Map<String, Object>>) group.get("rules")) {
        alerts.add((String) rule.get("alert"));
      }
    }
    Set<String> fired = new TreeSet<>();
    Set<String> quiet = new TreeSet<>();
    Map<String, Object> tests = new Yaml().load(Files.readString(DIR.resolve("alerts_test.yml")));
    for (Map<String, Object> test : (List<Map<String, Object>>) tests.get("tests")) {
      for (Map<String, Object> check : (List<Map<String, Object>>) test.get("alert_rule_test")) {
        List<?> expected = (List<?>) check.get("exp_alerts");
        (expected == null || expected.isEmpty() ? quiet : fired).add((String) check.get("alertname"));
      }
    }
    assertEquals(alerts, fired, "alerts without a case that fires them");
    assertEquals(alerts, quiet, "alerts without a case that keeps them quiet");
  }
}
