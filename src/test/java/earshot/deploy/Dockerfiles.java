package earshot.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Dockerfile read into what the checks need: its stages, COPY instructions, ENV, and the other instructions by
 * keyword. Handles comments, line continuations and ENV's {@code k=v k2="v 2"} form; enough for our two files.
 */
record Dockerfiles(List<Stage> stages, Map<String, String> env, Map<String, List<String>> instructions) {
  record Stage(String name, String workdir, List<Copy> copies) {}

  record Copy(String from, List<String> sources, String destination) {}

  private static final Pattern ENV_PAIR = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)=(\"(?:\\\\.|[^\"])*\"|\\S*)");

  static Dockerfiles read(Path file) throws IOException {
    List<String> lines = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String raw : Files.readAllLines(file)) {
      String line = raw.strip();
      if (line.startsWith("#") || (line.isEmpty() && current.isEmpty())) {
        continue;
      }
      if (line.endsWith("\\")) {
        current.append(line, 0, line.length() - 1).append(' ');
        continue;
      }
      current.append(line);
      lines.add(current.toString().strip());
      current.setLength(0);
    }
    List<Stage> stages = new ArrayList<>();
    Map<String, String> env = new LinkedHashMap<>();
    Map<String, List<String>> instructions = new LinkedHashMap<>();
    String name = null;
    String workdir = "/";
    List<Copy> copies = null;
    for (String line : lines) {
      String keyword = line.split("\\s+", 2)[0].toUpperCase(java.util.Locale.ROOT);
      String rest = line.substring(keyword.length()).strip();
      switch (keyword) {
        case "FROM" -> {
          if (copies != null) {
            stages.add(new Stage(name, workdir, copies));
          }
          String[] parts = rest.split("\\s+");
          name = parts.length >= 3 && parts[1].equalsIgnoreCase("AS") ? parts[2] : null;
          workdir = "/";
          copies = new ArrayList<>();
          env.clear(); // the last stage's ENV is the image's
        }
        case "WORKDIR" -> workdir = rest;
        case "COPY" -> {
          String from = null;
          List<String> args = new ArrayList<>(List.of(rest.split("\\s+")));
          while (args.getFirst().startsWith("--")) {
            String flag = args.removeFirst();
            if (flag.startsWith("--from=")) {
              from = flag.substring("--from=".length());
            }
          }
          copies.add(new Copy(from, List.copyOf(args.subList(0, args.size() - 1)), args.getLast()));
        }
        case "ENV" -> {
          Matcher m = ENV_PAIR.matcher(rest);
          while (m.find()) {
            String value = m.group(2);
            if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
              value = value.substring(1, value.length() - 1);
            }
            env.put(m.group(1), value);
          }
        }
        default -> { }
      }
      instructions.computeIfAbsent(keyword, k -> new ArrayList<>()).add(rest);
    }
    if (copies != null) {
      stages.add(new Stage(name, workdir, copies));
    }
    return new Dockerfiles(stages, Map.copyOf(env), instructions);
  }

  /** The image's ENTRYPOINT and CMD (exec form), joined as Docker runs them. */
  List<String> command() {
    List<String> command = new ArrayList<>(jsonArray(last("ENTRYPOINT")));
    command.addAll(jsonArray(last("CMD")));
    return command;
  }

  String last(String keyword) {
    List<String> all = instructions.getOrDefault(keyword, List.of());
    return all.isEmpty() ? null : all.getLast();
  }

  private static List<String> jsonArray(String exec) {
    if (exec == null) {
      return List.of();
    }
    return new io.vertx.core.json.JsonArray(exec).stream().map(String::valueOf).toList();
  }

  Stage stage(String name) {
    return stages.stream().filter(s -> name.equals(s.name())).findFirst()
        .orElseThrow(() -> new AssertionError("no stage " + name));
  }
}
