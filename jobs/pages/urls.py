"""Page routes: requesters' jobs (/jobs/...) and workers' work and tasks (/work/...)."""

from django.urls import path

from jobs.pages import chaining, gold, quality_rules, views

urlpatterns = [
    path("jobs/", views.job_list_page, name="job_list"),
    path("jobs/new/", views.job_create_page, name="job_create"),
    path("jobs/<int:job_id>/", views.job_detail_page, name="job_detail"),
    *(
        path(
            f"jobs/<int:job_id>/{action}/",
            views.job_action,
            {"action": action},
            name=f"job_{action}",
        )
        for action in views.JOB_ACTIONS
    ),
    path("jobs/<int:job_id>/manifest/", views.job_manifest_upload, name="job_manifest"),
    path("jobs/<int:job_id>/review/", views.job_review_page, name="job_review"),
    path("jobs/<int:job_id>/chain/", chaining.job_chain_page, name="job_chain"),
    path("jobs/<int:job_id>/gold/", gold.job_gold_page, name="job_gold"),
    path(
        "jobs/<int:job_id>/gold/<int:gold_id>/deactivate/",
        gold.job_gold_deactivate,
        name="job_gold_deactivate",
    ),
    path("gold-sets/", gold.gold_sets_page, name="gold_sets"),
    path("gold-sets/<int:gold_set_id>/", gold.gold_set_page, name="gold_set_detail"),
    path(
        "gold-sets/<int:gold_set_id>/questions/<int:gold_id>/deactivate/",
        gold.gold_set_question_deactivate,
        name="gold_set_question_deactivate",
    ),
    path(
        "jobs/<int:job_id>/quality-rules/",
        quality_rules.quality_rules_page,
        name="job_quality_rules",
    ),
    path(
        "jobs/<int:job_id>/quality-rules/<int:rule_id>/active/",
        quality_rules.quality_rule_active,
        name="job_quality_rule_active",
    ),
    path("jobs/<int:job_id>/output.manifest", views.job_output_download, name="job_output"),
    path("jobs/<int:job_id>/responses.jsonl", views.job_responses_download, name="job_responses"),
    path("work/", views.work_list_page, name="work_list"),
    path("work/jobs/<int:job_id>/next/", views.work_next, name="work_next"),
    path("work/tasks/<str:assignment_id>/", views.work_task_page, name="work_task"),
    path(
        "work/tasks/<str:assignment_id>/return/",
        views.work_task_return,
        name="work_task_return",
    ),
    path("work/assignments/", views.work_assignments_page, name="work_assignments"),
]
