package earshot.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Map;

/**
 * The node's name, the {@code node} label of its metrics: {@code metrics.node_name} ({@code EARSHOT_NODE_NAME}) when
 * set, else the host name ({@code HOSTNAME}, which Docker sets to the container's, else the local host's name).
 */
final class NodeName {
  static final String KEY = "metrics.node_name";
  private static final String PATTERN = "[A-Za-z0-9][A-Za-z0-9._:-]{0,127}";

  private NodeName() {}

  static String resolve(String configured, Map<String, String> env) {
    if (configured != null) {
      if (!configured.matches(PATTERN)) {
        throw new ConfigException(KEY, "must be 1 to 128 letters, digits, '.', '_', ':' or '-' (set EARSHOT_NODE_NAME),"
            + " got '" + configured + "'");
      }
      return configured;
    }
    String host = env.get("HOSTNAME");
    if (host != null && host.matches(PATTERN)) {
      return host;
    }
    try {
      String local = InetAddress.getLocalHost().getHostName();
      return local.matches(PATTERN) ? local : "earshot";
    } catch (UnknownHostException e) {
      return "earshot";
    }
  }
}
