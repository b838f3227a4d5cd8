package earshot.api;

/**
 * The one way a problem's {@code detail} repeats what a client sent (a model name, a file name, a path): between
 * single quotes, cut to {@link #MAX_CODE_POINTS} characters with "…", and with control, format and separator
 * characters (NUL, CR, LF, bidi overrides), lone surrogates, the quote and the backslash written as escapes, so a
 * detail can neither carry bytes a log or terminal would act on nor grow with the input. Pure; any thread.
 */
final class Echo {
  static final int MAX_CODE_POINTS = 64;

  private Echo() {}

  /** {@code input} made safe to repeat, in single quotes; {@code null} for a missing value. */
  static String quoted(String input) {
    if (input == null) {
      return "null";
    }
    StringBuilder out = new StringBuilder(Math.min(input.length(), MAX_CODE_POINTS) + 8).append('\'');
    int count = 0;
    for (int i = 0; i < input.length(); ) {
      if (count == MAX_CODE_POINTS) {
        return out.append("…'").toString();
      }
      int cp = input.codePointAt(i);
      i += Character.charCount(cp);
      count++;
      if (cp == '\\' || cp == '\'') {
        out.append('\\').appendCodePoint(cp);
      } else if (unsafe(cp)) {
        for (char unit : Character.toChars(cp)) {
          out.append(String.format("\\u%04X", (int) unit));
        }
      } else {
        out.appendCodePoint(cp);
      }
    }
    return out.append('\'').toString();
  }

  private static boolean unsafe(int cp) {
    return switch (Character.getType(cp)) {
      case Character.CONTROL, Character.FORMAT, Character.SURROGATE, Character.LINE_SEPARATOR,
           Character.PARAGRAPH_SEPARATOR, Character.UNASSIGNED, Character.PRIVATE_USE -> true;
      default -> false;
    };
  }
}
