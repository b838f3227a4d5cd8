package earshot.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.config.ConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * docker-compose.yml parses (anchors and merge keys resolved, as Compose does), has the services #16 asks for, and
 * every environment variable it gives an Earshot node is one Earshot reads: a name in {@link ConfigLoader#envNames()}.
 */
class ComposeTest {
  static final Path COMPOSE = Path.of("docker-compose.yml");

  @SuppressWarnings("unchecked")
  static Map<String, Map<String, Object>> services() throws Exception {
    Map<String, Object> compose = new Yaml().load(Files.readString(COMPOSE));
    return (Map<String, Map<String, Object>>) compose.get("services");
  }

  /** An Earshot node is a service built from one of our Dockerfiles. */
  @SuppressWarnings("unchecked")
  static boolean isEarshot(Map<String, Object> service) {
    return service.get("build") instanceof Map<?, ?> build
        && String.valueOf(((Map<String, Object>) build).get("dockerfile")).startsWith("Dockerfile");
  }

  /** The names in Earshot services' environments that Earshot does not read, with where they are. */
  @SuppressWarnings("unchecked")
  static Set<String> unknownSettings(Map<String, Map<String, Object>> services) {
    Set<String> unknown = new TreeSet<>();
    services.forEach((name, service) -> {
      if (!isEarshot(service)) {
        return;
      }
      Object env = service.getOrDefault("environment", Map.of());
      Set<String> names = env instanceof Map<?, ?> m ? (Set<String>) m.keySet()
          : new TreeSet<>(((List<String>) env).stream().map(e -> e.split("=", 2)[0]).toList());
      for (String var : names) {
        if (!ConfigLoader.envNames().contains(var)) {
          unknown.add(name + ": " + var);
        }
      }
    });
    return unknown;
  }

  @Test
  void everyEnvironmentVariableOfANodeIsASettingEarshotReads() throws Exception {
    assertEquals(Set.of(), unknownSettings(services()));
  }

  @Test
  void aMisspelledSettingIsFound() throws Exception {
    Map<String, Map<String, Object>> services = services();
    @SuppressWarnings("unchecked")
    Map<String, Object> env = (Map<String, Object>) services.get("cpu-1").get("environment");
    env.put("EARSHOT_CPU_SLOT", "4");
    assertEquals(Set.of("cpu-1: EARSHOT_CPU_SLOT"), unknownSettings(services));
  }


  @Test
  @SuppressWarnings("unchecked")
  void hasTheServicesOfTheIssueWithHealthChecksAndStartOrder() throws Exception {
    Map<String, Map<String, Object>> services = services();
    assertTrue(services.keySet().containsAll(List.of("postgres", "redis", "minio", "minio-init", "api-1", "api-2",
        "cpu-1", "gpu-1", "prometheus", "grafana")), services.keySet().toString());
    services.forEach((name, service) -> {
      if (!name.equals("minio-init")) {
        assertTrue(service.containsKey("healthcheck"), name + " has no health check");
      }
      Object dependsOn = service.getOrDefault("depends_on", Map.of());
      for (String dependency : ((Map<String, Object>) dependsOn).keySet()) {
        assertTrue(services.containsKey(dependency), name + " depends on unknown service " + dependency);
      }
    });
    for (String node : List.of("api-1", "api-2", "cpu-1", "gpu-1")) {
      assertTrue(isEarshot(services.get(node)), node + " is not built from our Dockerfiles");
    }
    Map<String, Object> gpu = services.get("gpu-1");
    assertEquals(List.of("gpu"), gpu.get("profiles"));
    assertEquals("Dockerfile.gpu", ((Map<String, Object>) gpu.get("build")).get("dockerfile"));
    Map<String, Object> device = ((List<Map<String, Object>>) ((Map<String, Object>) ((Map<String, Object>)
        ((Map<String, Object>) gpu.get("deploy")).get("resources")).get("reservations")).get("devices")).getFirst();
    assertEquals("nvidia", device.get("driver"));
    assertTrue(((List<String>) device.get("capabilities")).contains("gpu"));
    for (String node : List.of("api-1", "api-2", "cpu-1")) {
      assertTrue(services.get(node).get("profiles") == null, node + " must start without a profile");
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  void everyFileMountedFromTheRepositoryExists() throws Exception {
    for (Map.Entry<String, Map<String, Object>> e : services().entrySet()) {
      for (Object volume : (List<Object>) e.getValue().getOrDefault("volumes", List.of())) {
        String source = String.valueOf(volume).split(":")[0];
        if (source.startsWith("./")) {
          assertTrue(Files.exists(Path.of(source)), e.getKey() + " mounts missing " + source);
        }
      }
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  void prometheusScrapesEveryEarshotNode() throws Exception {
    String config = Files.readString(Path.of("deploy/prometheus/prometheus.yml"));
    Map<String, Map<String, Object>> services = services();
    services.forEach((name, service) -> {
      if (isEarshot(service)) {
        assertTrue(config.contains("\"" + name + ":8080\"") || config.contains("[\"" + name + "\"]"),
            "prometheus.yml does not scrape " + name);
      }
    });
  }
}
