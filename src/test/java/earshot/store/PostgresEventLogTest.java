package earshot.store;

import earshot.testsupport.Databases;

class PostgresEventLogTest extends EventLogContract {
  @Override
  Databases.Kind kind() {
    return Databases.Kind.POSTGRES;
  }
}
