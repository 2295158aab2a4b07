import type { Folder, Job, ParamDefinition } from '../world/model';

/** `config.xml` of an item, in the XStream form Jenkins stores and serves. */
export function configXml(item: Folder | Job): string {
  if (item.kind === 'folder') return folderXml(item);
  return item.kind === 'pipeline' ? pipelineXml(item) : freestyleXml(item);
}

function esc(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function descriptionXml(description: string | null): string {
  return description ? `<description>${esc(description)}</description>` : '<description/>';
}

function folderXml(folder: Folder): string {
  return `<?xml version='1.1' encoding='UTF-8'?>
<com.cloudbees.hudson.plugins.folder.Folder plugin="cloudbees-folder@6.976.v4dc79fb_c458d">
  ${descriptionXml(folder.description)}
  <properties/>
  <folderViews class="com.cloudbees.hudson.plugins.folder.views.DefaultFolderViewHolder">
    <views>
      <hudson.model.AllView>
        <owner class="com.cloudbees.hudson.plugins.folder.Folder" reference="../../../.."/>
        <name>All</name>
        <filterExecutors>false</filterExecutors>
        <filterQueue>false</filterQueue>
        <properties class="hudson.model.View$PropertyList"/>
      </hudson.model.AllView>
    </views>
    <tabBar class="hudson.views.DefaultViewsTabBar"/>
  </folderViews>
  <healthMetrics/>
  <icon class="com.cloudbees.hudson.plugins.folder.icons.StockFolderIcon"/>
</com.cloudbees.hudson.plugins.folder.Folder>`;
}

function parameterXml(def: ParamDefinition): string {
  const head = `<name>${esc(def.name)}</name>
          <description>${esc(def.description)}</description>`;
  switch (def.type) {
    case 'boolean':
      return `<hudson.model.BooleanParameterDefinition>
          ${head}
          <defaultValue>${def.defaultValue}</defaultValue>
        </hudson.model.BooleanParameterDefinition>`;
    case 'choice':
      return `<hudson.model.ChoiceParameterDefinition>
          ${head}
          <choices class="java.util.Arrays$ArrayList">
            <a class="string-array">
${def.choices.map(c => `              <string>${esc(c)}</string>`).join('\n')}
            </a>
          </choices>
        </hudson.model.ChoiceParameterDefinition>`;
    case 'password':
      return `<hudson.model.PasswordParameterDefinition>
          ${head}
          <defaultValue>{AQAAABAAAAAQ${Buffer.from(def.name).toString('base64')}=}</defaultValue>
        </hudson.model.PasswordParameterDefinition>`;
    case 'text':
      return `<hudson.model.TextParameterDefinition>
          ${head}
          <defaultValue>${esc(def.defaultValue)}</defaultValue>
          <trim>false</trim>
        </hudson.model.TextParameterDefinition>`;
    default:
      return `<hudson.model.StringParameterDefinition>
          ${head}
          <defaultValue>${esc(def.defaultValue)}</defaultValue>
          <trim>false</trim>
        </hudson.model.StringParameterDefinition>`;
  }
}

function parametersXml(job: Job): string {
  if (job.params.length === 0) return '';
  return `
    <hudson.model.ParametersDefinitionProperty>
      <parameterDefinitions>
        ${job.params.map(parameterXml).join('\n        ')}
      </parameterDefinitions>
    </hudson.model.ParametersDefinitionProperty>`;
}

function timerXml(spec: string, indent: string): string {
  return `${indent}<hudson.triggers.TimerTrigger>
${indent}  <spec>${esc(spec)}</spec>
${indent}</hudson.triggers.TimerTrigger>`;
}

function pipelineXml(job: Job): string {
  const triggers = job.timerSpec
    ? `
    <org.jenkinsci.plugins.workflow.job.properties.PipelineTriggersJobProperty>
      <triggers>
${timerXml(job.timerSpec, '        ')}
      </triggers>
    </org.jenkinsci.plugins.workflow.job.properties.PipelineTriggersJobProperty>`
    : '';
  const concurrency = job.concurrentBuild
    ? ''
    : `
    <org.jenkinsci.plugins.workflow.job.properties.DisableConcurrentBuildsJobProperty>
      <abortPrevious>false</abortPrevious>
    </org.jenkinsci.plugins.workflow.job.properties.DisableConcurrentBuildsJobProperty>`;
  const script = `pipeline {
  agent { label '${job.label}' }
  stages {
    stage('Run ${job.name}') {
      steps { sh './bin/batch ${job.name} --date $(date +%F)' }
    }
  }
}`;
  return `<?xml version='1.1' encoding='UTF-8'?>
<flow-definition plugin="workflow-job@1460.v28178c1ef6e6">
  <actions/>
  ${descriptionXml(job.description)}
  <keepDependencies>false</keepDependencies>
  <properties>${concurrency}${parametersXml(job)}${triggers}
  </properties>
  <definition class="org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition" plugin="workflow-cps@4018.vf02e01888da_f">
    <script>${esc(script)}</script>
    <sandbox>true</sandbox>
  </definition>
  <triggers/>
  <disabled>${job.disabled}</disabled>
</flow-definition>`;
}

function freestyleXml(job: Job): string {
  const triggers = job.timerSpec
    ? `<triggers>
${timerXml(job.timerSpec, '    ')}
  </triggers>`
    : '<triggers/>';
  return `<?xml version='1.1' encoding='UTF-8'?>
<project>
  <actions/>
  ${descriptionXml(job.description)}
  <keepDependencies>false</keepDependencies>
  <properties>${parametersXml(job)}
  </properties>
  <scm class="hudson.scm.NullSCM"/>
  <assignedNode>${esc(job.label)}</assignedNode>
  <canRoam>false</canRoam>
  <disabled>${job.disabled}</disabled>
  <blockBuildWhenDownstreamBuilding>false</blockBuildWhenDownstreamBuilding>
  <blockBuildWhenUpstreamBuilding>false</blockBuildWhenUpstreamBuilding>
  ${triggers}
  <concurrentBuild>${job.concurrentBuild}</concurrentBuild>
  <builders>
    <hudson.tasks.Shell>
      <command>./bin/batch ${esc(job.name)} --date $(date +%F)</command>
      <configuredLocalRules/>
    </hudson.tasks.Shell>
  </builders>
  <publishers/>
  <buildWrappers/>
</project>`;
}
