package earshot.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Versioned schema scripts from {@code db/<dialect>/}, listed in order by {@code db/<dialect>/migrations.txt}.
 * Each store applies the ones its {@code schema_migrations} table has not recorded, inside a transaction.
 */
public final class Migrations {
  private Migrations() {}

  /** One script: its version, name and statements (split on lines that end with a semicolon). */
  public record Script(int version, String name, List<String> statements) {}

  public static List<Script> load(String dialect) {
    String index = resource("db/" + dialect + "/migrations.txt");
    List<Script> scripts = new ArrayList<>();
    for (String line : index.split("\n")) {
      String name = line.trim();
      if (name.isEmpty() || name.startsWith("#")) {
        continue;
      }
      int version = Integer.parseInt(name.substring(1, name.indexOf("__")));
      scripts.add(new Script(version, name, split(resource("db/" + dialect + "/" + name))));
    }
    return List.copyOf(scripts);
  }

  static List<String> split(String sql) {
    List<String> out = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String line : sql.split("\n")) {
      if (line.trim().startsWith("--")) {
        continue;
      }
      current.append(line).append('\n');
      if (line.trim().endsWith(";")) {
        String stmt = current.toString().trim();
        out.add(stmt.substring(0, stmt.length() - 1));
        current.setLength(0);
      }
    }
    if (!current.toString().isBlank()) {
      out.add(current.toString().trim());
    }
    return out;
  }

  private static String resource(String path) {
    try (InputStream in = Migrations.class.getClassLoader().getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("missing migration resource " + path);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read migration resource " + path, e);
    }
  }
}
