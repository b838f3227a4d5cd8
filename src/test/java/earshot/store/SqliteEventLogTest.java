package earshot.store;

import earshot.testsupport.Databases;

class SqliteEventLogTest extends EventLogContract {
  @Override
  Databases.Kind kind() {
    return Databases.Kind.SQLITE;
  }
}
