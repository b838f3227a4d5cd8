package earshot.config;

/** Invalid configuration. The message always starts with the offending key so that start-up can print one clear line. */
public final class ConfigException extends RuntimeException {
  private final String key;

  public ConfigException(String key, String problem) {
    super(key + ": " + problem);
    this.key = key;
  }

  public String key() {
    return key;
  }
}
