package earshot.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Reads typed values by dotted path and turns every problem into a {@link ConfigException} naming the key. */
record ConfigReader(JsonObject root) {
  Object raw(String path) {
    Object node = root;
    for (String part : path.split("\\.")) {
      if (!(node instanceof JsonObject o) || !o.containsKey(part)) {
        throw new ConfigException(path, "is missing");
      }
      node = o.getValue(part);
    }
    return node;
  }

  String string(String path) {
    Object v = raw(path);
    if (!(v instanceof String s) || s.isBlank()) {
      throw new ConfigException(path, "must be a non-empty string, got " + describe(v));
    }
    return s;
  }

  /** A string that may be absent or null. */
  String optionalString(String path) {
    Object v;
    try {
      v = raw(path);
    } catch (ConfigException missing) {
      return null;
    }
    if (v == null || v instanceof String s && s.isBlank()) {
      return null;
    }
    if (!(v instanceof String s)) {
      throw new ConfigException(path, "must be a string, got " + describe(v));
    }
    return s;
  }

  String queueName(String path) {
    String s = string(path);
    if (!s.matches("[A-Za-z0-9_.-]{1,64}")) {
      throw new ConfigException(path, "must be a queue name of letters, digits, '_', '-' or '.', got '" + s + "'");
    }
    return s;
  }

  long longIn(String path, long min, long max) {
    Object v = raw(path);
    long n;
    if (v instanceof Number num && num.doubleValue() == Math.rint(num.doubleValue())) {
      n = num.longValue();
    } else if (v instanceof String s && s.matches("-?\\d{1,18}")) {
      n = Long.parseLong(s);
    } else {
      throw new ConfigException(path, "must be an integer, got " + describe(v));
    }
    if (n < min || n > max) {
      throw new ConfigException(path, "must be between " + min + " and " + max + ", got " + n);
    }
    return n;
  }

  /** A JSON array of strings, or a comma-separated string (as environment variables give it). */
  List<String> stringList(String path) {
    Object v = raw(path);
    List<String> out = new java.util.ArrayList<>();
    if (v instanceof JsonArray a) {
      for (Object o : a) {
        if (!(o instanceof String s)) {
          throw new ConfigException(path, "must be a list of strings, got " + describe(o));
        }
        out.add(s.trim());
      }
    } else if (v instanceof String s) {
      for (String part : s.split(",")) {
        if (!part.isBlank()) {
          out.add(part.trim());
        }
      }
    } else {
      throw new ConfigException(path, "must be a list of strings");
    }
    return List.copyOf(out);
  }

  /** An integer in [min, max], or null when the key is absent or JSON null (meaning: no limit). */
  Integer optionalIntIn(String path, int min, int max) {
    try {
      if (raw(path) == null) {
        return null;
      }
    } catch (ConfigException missing) {
      return null;
    }
    return intIn(path, min, max);
  }

  /** A decimal number in [min, max], or null when the key is absent or JSON null. */
  Double optionalNumberIn(String path, double min, double max) {
    try {
      if (raw(path) == null) {
        return null;
      }
    } catch (ConfigException missing) {
      return null;
    }
    return number(path, min, max, "a number from " + min + " to " + max);
  }

  int intIn(String path, int min, int max) {
    return (int) longIn(path, min, max);
  }

  double nonNegative(String path) {
    return number(path, 0, Double.MAX_VALUE, "a number of at least 0");
  }

  Duration seconds(String path) {
    double d = number(path, Double.MIN_VALUE, 86_400, "a positive number of seconds up to 86400");
    return Duration.ofMillis(Math.round(d * 1000));
  }

  /** A decimal number (JSON number or numeric string) within [min, max]. */
  private double number(String path, double min, double max, String expected) {
    Object v = raw(path);
    double d;
    if (v instanceof Number num) {
      d = num.doubleValue();
    } else if (v instanceof String s && s.matches("\\d+(\\.\\d+)?")) {
      d = Double.parseDouble(s);
    } else {
      throw new ConfigException(path, "must be " + expected + ", got " + describe(v));
    }
    if (!(d >= min) || d > max) {
      throw new ConfigException(path, "must be " + expected + ", got " + describe(v));
    }
    return d;
  }

  boolean bool(String path) {
    Object v = raw(path);
    if (v instanceof Boolean b) {
      return b;
    }
    if (v instanceof String s) {
      switch (s.toLowerCase(Locale.ROOT)) {
        case "true", "1", "yes", "on" -> {
          return true;
        }
        case "false", "0", "no", "off" -> {
          return false;
        }
        default -> { }
      }
    }
    throw new ConfigException(path, "must be true or false, got " + describe(v));
  }

  Map<String, String> stringMap(String path) {
    Object v = raw(path);
    if (!(v instanceof JsonObject o)) {
      throw new ConfigException(path, "must be an object of model name to queue name");
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (String k : o.fieldNames()) {
      if (!(o.getValue(k) instanceof String q) || !q.matches("[A-Za-z0-9_.-]{1,64}")) {
        throw new ConfigException(path + "." + k, "must be a queue name, got " + describe(o.getValue(k)));
      }
      out.put(k, q);
    }
    return Map.copyOf(out);
  }

  Set<EarshotConfig.Role> roles(String path) {
    Object v = raw(path);
    Iterable<?> items;
    if (v instanceof JsonArray a) {
      items = a;
    } else if (v instanceof String s) {
      items = java.util.Arrays.asList(s.split(","));
    } else {
      throw new ConfigException(path, "must be a list of api, scheduler, cpu, gpu");
    }
    Set<EarshotConfig.Role> roles = EnumSet.noneOf(EarshotConfig.Role.class);
    for (Object item : items) {
      String name = String.valueOf(item).trim().toUpperCase(Locale.ROOT);
      if (name.isEmpty()) {
        continue;
      }
      try {
        roles.add(EarshotConfig.Role.valueOf(name));
      } catch (IllegalArgumentException e) {
        throw new ConfigException(path, "unknown role '" + item + "' (expected api, scheduler, cpu, gpu)");
      }
    }
    if (roles.isEmpty()) {
      throw new ConfigException(path, "must name at least one role");
    }
    return Set.copyOf(roles);
  }

  private static String describe(Object v) {
    return v instanceof String s ? "'" + s + "'" : String.valueOf(v);
  }
}
