/** @module drivers/haproxy/stats.test — the parsers on answers captured from HAProxy 2.6.12. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FulcrumError } from '../../domain/errors.js';
import { parseServersState, parseShowInfo, parseShowStat, splitCsvLine, SERVER_ADMIN } from './stats.js';

// Captured from HAProxy 2.6.12 (Debian 12): s1 drained and weight 3, d2 dynamic with a check to a
// closed port, d3 dynamic backup never enabled. The 149-column header is shortened to its first 50
// columns and every row to match: the parser goes by header names, never by position.
const cut = (l: string) => l.split(',').slice(0, 50).join(',');
const SHOW_STAT = [
  '# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,rtime,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,check_fall,check_health,',
  'fe,FRONTEND,,,0,1,9979,1,82,217,0,0,0,,,,,OPEN,,,,,,,,,1,2,0,,,,0,1,0,1,,,,0,0,0,0,1,0,,1,1,1,,,0,0,0,0,,,,,,,,,,,,,,,,,,,,,http,,1,1,1,0,0,0,0,',
  'be,s1,0,0,0,0,,0,0,0,,0,,0,0,0,0,DRAIN,3,1,0,1,1,1,1,,1,3,1,,0,,2,0,,0,L4OK,,0,0,0,0,0,0,0,,,,0,0,0,,,,,-1,,,0,0,0,0,,,,Layer4 check passed,,2,3,4,',
  'be,d2,0,0,0,0,,0,0,0,,0,,0,0,0,0,DOWN,5,1,0,1,1,1,1,,1,3,2,,0,,2,0,,0,L4CON,,0,0,0,0,0,0,0,,,,0,0,0,,,,,-1,Connection refused,,0,0,0,0,,,,Layer4 connection problem,,2,2,0,',
  'be,d3,0,0,0,0,,0,0,0,,0,,0,0,0,0,MAINT,1,0,1,,,2,,,1,3,3,,0,,2,0,,0,,,,0,0,0,0,0,0,,,,0,0,0,,,,,-1,,,0,0,0,0,,,,,,,,',
  'be,BACKEND,0,0,0,1,998,1,82,217,0,0,,1,0,0,0,DOWN,0,0,0,,2,1,1,,1,3,0,,0,,1,1,,1,,,,0,0,0,0,1,0,,,,1,0,0,0,0,0,0,-1,,,0,0,0,0,',
  '',
].map(cut).join('\n');

const SERVERS_STATE = `1
# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port
3 be 1 s1 127.0.0.1 2 8 3 1 1 6 3 4 6 0 0 0 - 18998 - 0 0 - - 0
3 be 2 d2 127.0.0.1 0 0 5 5 1 8 2 0 6 0 0 0 - 18997 - 0 0 - - 0
3 be 3 d3 127.0.0.1 0 1 2 2 2 1 0 0 0 0 0 0 - 18998 - 0 0 - - 0

`;

const SHOW_INFO = `Name: HAProxy
Version: 2.6.12-1+deb12u4
Nbthread: 2
Pid: 32292
Uptime_sec: 0
Maxconn: 9979
CurrConns: 0
Stopping: 0
Unstoppable Jobs: 1
Build info: 2.6.12-1+deb12u4
`;

test('show stat: typed rows for frontend, servers and backend, found by header name', () => {
  const rows = parseShowStat(SHOW_STAT);
  assert.deepEqual(rows.map((r) => [r.pxname, r.svname, r.type, r.status]), [
    ['fe', 'FRONTEND', 0, 'OPEN'], ['be', 's1', 2, 'DRAIN'], ['be', 'd2', 2, 'DOWN'], ['be', 'd3', 2, 'MAINT'], ['be', 'BACKEND', 1, 'DOWN'],
  ]);
  assert.deepEqual(rows[0], {
    pxname: 'fe', svname: 'FRONTEND', type: 0, status: 'OPEN', scur: 0, stot: 1, bin: 82, bout: 217, ereq: 0, econ: 0, eresp: 0,
    weight: 0, checkStatus: '', lastChange: null, responses: { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 1, other: 0 },
  });
  assert.equal(rows[1]!.weight, 3);
  assert.equal(rows[1]!.checkStatus, 'L4OK');
  assert.equal(rows[2]!.checkStatus, 'L4CON');
  assert.equal(rows[2]!.lastChange, 1);
  assert.equal(rows[4]!.econ, 1);
  assert.deepEqual(parseShowStat(''), []);
});

test('show stat: a quoted field with a comma does not shift the columns after it', () => {
  assert.deepEqual(splitCsvLine('a,"x, ""y""",,b'), ['a', 'x, "y"', '', 'b']);
  const [row] = parseShowStat('# pxname,svname,last_chk,status,\nbe,s1,"HTTP 503, busy",DOWN,\n');
  assert.equal(row!.status, 'DOWN');
});

test('show servers state: format 1 with op state, admin bits, user weight and check health', () => {
  const s = parseServersState(SERVERS_STATE);
  assert.deepEqual(s[0], { backend: 'be', server: 's1', address: '127.0.0.1', port: 18998, opState: 2, adminState: 8, weight: 3, checkHealth: 4 });
  assert.equal(s[0]!.adminState & SERVER_ADMIN.FORCED_DRAIN, SERVER_ADMIN.FORCED_DRAIN);
  assert.deepEqual(s.map((x) => [x.server, x.opState, x.adminState]), [['s1', 2, 8], ['d2', 0, 0], ['d3', 0, 1]]);
  assert.deepEqual(parseServersState(''), []);
  assert.throws(() => parseServersState('2\n# be_id\n'), (e) => e instanceof FulcrumError && e.code === 'DRIVER_FAILED');
});

test('show info: name/value pairs, names with spaces kept', () => {
  const info = parseShowInfo(SHOW_INFO);
  assert.equal(info.Pid, '32292');
  assert.equal(info.Version, '2.6.12-1+deb12u4');
  assert.equal(info['Unstoppable Jobs'], '1');
  assert.equal(info['Build info'], '2.6.12-1+deb12u4');
});
