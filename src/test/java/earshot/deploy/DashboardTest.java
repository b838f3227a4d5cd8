package earshot.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * deploy/grafana/earshot-dashboard.json parses, has exactly one datasource variable (a Prometheus one) and every
 * panel, query and variable uses that variable and no other datasource; it has the panels #16 lists.
 */
class DashboardTest {
  static final Path DASHBOARD = Path.of("deploy/grafana/earshot-dashboard.json");
  static final String DATASOURCE = "${DS_PROMETHEUS}";

  static JsonObject dashboard() throws Exception {
    return new JsonObject(Files.readString(DASHBOARD));
  }

  /** Every PromQL expression of the dashboard: panel targets and query variables. */
  static List<String> expressions(JsonObject dashboard) {
    List<String> exprs = new ArrayList<>();
    for (JsonObject panel : panels(dashboard)) {
      for (Object t : panel.getJsonArray("targets", new JsonArray())) {
        exprs.add(((JsonObject) t).getString("expr"));
      }
    }
    return exprs;
  }

  static List<JsonObject> panels(JsonObject dashboard) {
    List<JsonObject> out = new ArrayList<>();
    for (Object p : dashboard.getJsonArray("panels", new JsonArray())) {
      JsonObject panel = (JsonObject) p;
      out.add(panel);
      for (Object nested : panel.getJsonArray("panels", new JsonArray())) {
        out.add((JsonObject) nested);
      }
    }
    return out;
  }

  /** What is wrong with the dashboard's datasources; empty when each reference is the one variable. */
  static List<String> datasourceProblems(JsonObject dashboard) {
    List<String> problems = new ArrayList<>();
    List<JsonObject> variables = dashboard.getJsonObject("templating", new JsonObject())
        .getJsonArray("list", new JsonArray()).stream().map(JsonObject.class::cast).toList();
    List<JsonObject> sources = variables.stream().filter(v -> "datasource".equals(v.getString("type"))).toList();
    if (sources.size() != 1 || !"DS_PROMETHEUS".equals(sources.getFirst().getString("name"))
        || !"prometheus".equals(sources.getFirst().getString("query"))) {
      problems.add("expected one Prometheus datasource variable DS_PROMETHEUS, got " + sources);
    }
    for (JsonObject v : variables) {
      if (v.containsKey("datasource")) {
        check(problems, "variable " + v.getString("name"), v.getValue("datasource"));
      }
    }
    for (JsonObject panel : panels(dashboard)) {
      String where = "panel '" + panel.getString("title") + "'";
      if (!"row".equals(panel.getString("type")) || panel.containsKey("datasource")) {
        check(problems, where, panel.getValue("datasource"));
      }
      for (Object t : panel.getJsonArray("targets", new JsonArray())) {
        check(problems, where + " target " + ((JsonObject) t).getString("refId"), ((JsonObject) t).getValue("datasource"));
      }
    }
    return problems;
  }

  private static void check(List<String> problems, String where, Object datasource) {
    boolean ok = datasource instanceof JsonObject ds && DATASOURCE.equals(ds.getString("uid"))
        && "prometheus".equals(ds.getString("type"));
    if (!ok) {
      problems.add(where + " uses datasource " + datasource);
    }
  }

  @Test
  void usesOnlyItsOnePrometheusDatasourceVariable() throws Exception {
    assertEquals(List.of(), datasourceProblems(dashboard()));
  }

  @Test
  void aPanelOnAnotherDatasourceIsFound() throws Exception {
    JsonObject d = dashboard();
    JsonObject panel = panels(d).stream().filter(p -> !"row".equals(p.getString("type"))).findFirst().orElseThrow();
    panel.put("datasource", new JsonObject().put("type", "loki").put("uid", "logs"));
    panel.getJsonArray("targets").getJsonObject(0).put("datasource", "Prometheus");
    List<String> problems = datasourceProblems(d);
    assertEquals(2, problems.size(), problems.toString());
    assertFalse(datasourceProblems(new JsonObject().put("panels", new JsonArray())).isEmpty(),
        "a dashboard without the datasource variable");
  }

  @Test
  void panelsDoNotOverlap() throws Exception {
    List<JsonObject> grid = panels(dashboard()).stream().map(p -> p.getJsonObject("gridPos")).toList();
    for (int i = 0; i < grid.size(); i++) {
      for (int j = i + 1; j < grid.size(); j++) {
        JsonObject a = grid.get(i);
        JsonObject b = grid.get(j);
        boolean apart = a.getInteger("x") + a.getInteger("w") <= b.getInteger("x")
            || b.getInteger("x") + b.getInteger("w") <= a.getInteger("x")
            || a.getInteger("y") + a.getInteger("h") <= b.getInteger("y")
            || b.getInteger("y") + b.getInteger("h") <= a.getInteger("y");
        assertTrue(apart, "panels " + i + " and " + j + " overlap: " + a + " " + b);
      }
    }
  }

  @Test
  void hasThePanelsTheIssueLists() throws Exception {
    Set<String> names = new TreeSet<>();
    expressions(dashboard()).forEach(e -> names.addAll(PromQlNames.of(e)));
    // latency per stage and end to end; throughput; failures; queues; workers; RTF; streams; quotas
    for (String metric : List.of("stage_seconds_bucket", "job_total_seconds_bucket", "jobs_enqueued_total",
        "jobs_completed_total", "jobs_failed_total", "queue_depth", "worker_active", "node_role",
        "transcription_real_time_factor_percent_bucket", "audio_active_streams", "stream_first_partial_seconds_bucket",
        "stream_final_latency_seconds_bucket", "audio_quota_hits_total")) {
      assertTrue(names.contains(metric), metric + " is on no panel; panels read " + names);
    }
    String text = expressions(dashboard()).toString();
    for (String quantile : List.of("histogram_quantile(0.5,", "histogram_quantile(0.95,", "histogram_quantile(0.99,")) {
      assertTrue(text.contains(quantile), quantile);
    }
  }
}
